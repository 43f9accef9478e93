#!/usr/bin/env bash
# Shrinks a packed .device (../shared/device/pack.sh --publish src/Cli/Cli.csproj) under the device tool's 64 MiB
# carry limit. The Orleans packages bring, as runtime dependencies, Roslyn (Microsoft.CodeAnalysis*, ~7 MB, with
# Humanizer) and Orleans.Hosting.Kubernetes brings KubernetesClient (~12 MB); the publish is then ~71 MiB. None of
# them is loaded unless RouterTier:KubernetesHosting is on (a pod on Kubernetes), which no GPU script uses: this removes
# those DLLs, their entries in every *.deps.json of the publish, and the XML docs.
#   bash tests/reference/trim_device_publish.sh [.device]
# Checked on CPU: the trimmed publish ran `cluster up --redis --routers 2 --smoke` (Redis clustering, two silos).
set -euo pipefail
dir=${1:-.device}
app="$dir/app/Cli"
[ -f "$app/cluster.deps.json" ] || { echo "trim_device_publish: no $app/cluster.deps.json (run pack.sh --publish src/Cli/Cli.csproj first)" >&2; exit 2; }
before=$(du -sm "$dir" | cut -f1)
python3 - "$app" <<'PY'
import json, os, sys
app = sys.argv[1]
drop = ("KubernetesClient", "Microsoft.CodeAnalysis", "Humanizer")
removed = []
manifests = [os.path.join(app, f) for f in os.listdir(app) if f.endswith(".deps.json")]
for path in manifests:
    deps = json.load(open(path))
    for target in deps["targets"].values():
        for name, entry in target.items():
            if not name.startswith(drop):
                continue
            # A runtime file lies in the app folder by its name; a resource file in its locale's folder.
            for file in entry.pop("runtime", {}) or {}:
                removed.append(os.path.join(app, os.path.basename(file)))
            for file, meta in (entry.pop("resources", {}) or {}).items():
                removed.append(os.path.join(app, meta.get("locale", ""), os.path.basename(file)))
    json.dump(deps, open(path, "w"), indent=2)
removed = sorted({f for f in removed if os.path.exists(f)})
for file in removed:
    os.remove(file)
print(f"trim_device_publish: removed {len(removed)} files of {', '.join(drop)} from {len(manifests)} manifests")
PY
find "$app" -name '*.xml' -delete
find "$app" -type d -empty -delete
echo "trim_device_publish: $dir ${before} MiB -> $(du -sm "$dir" | cut -f1) MiB (carry limit 64 MiB with the working tree)"
