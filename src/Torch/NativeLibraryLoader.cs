using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Cluster.Torch;

/// <summary>
/// Finds libcluster_torch.so: first in $NATIVE_BUILD_DIR (a build against the local libtorch, e.g. the
/// CUDA one on a GPU machine), then next to this assembly (copied there by <c>dotnet build</c>).
/// </summary>
internal static class NativeLibraryLoader
{
    private const string FileName = "libcluster_torch.so";

#pragma warning disable CA2255 // A binding library must register its native resolver before the first P/Invoke.
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Register() =>
        NativeLibrary.SetDllImportResolver(typeof(NativeLibraryLoader).Assembly, Resolve);

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? path)
    {
        if (name != NativeMethods.Lib) return IntPtr.Zero;
        foreach (var dir in Candidates())
        {
            var file = Path.Combine(dir, FileName);
            if (File.Exists(file)) return NativeLibrary.Load(file);
        }
        throw new DllNotFoundException(
            $"{FileName} not found (looked in $NATIVE_BUILD_DIR and {AppContext.BaseDirectory}). Build src/Torch with " +
            "`dotnet build` (needs cmake, g++ and libtorch: apt-get install -y libtorch-dev cmake g++).");
    }

    private static IEnumerable<string> Candidates()
    {
        var env = Environment.GetEnvironmentVariable("NATIVE_BUILD_DIR");
        if (!string.IsNullOrEmpty(env)) yield return env;
        yield return AppContext.BaseDirectory;
        var here = Path.GetDirectoryName(typeof(NativeLibraryLoader).Assembly.Location);
        if (!string.IsNullOrEmpty(here)) yield return here;
    }
}
