// render: renders a Helm chart offline with Go text/template + sprig, the subset of Helm 3 this project's chart uses.
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go run render.go --chart DIR [-f values.yaml]... [--name R] [--namespace N]
//	    [--notes] [--exclude templates/FILE]...
//
// Implemented as Helm does it: .Values (chart values.yaml deep-merged with each -f file, later wins, null deletes a
// key), .Release (Name, Namespace, Service, IsInstall, IsUpgrade, Revision), .Chart (Chart.yaml, capitalised keys),
// .Files (Get, GetBytes, Glob with AsConfig-free iteration), .Template (Name, BasePath), sprig's functions without
// env/expandenv, and Helm's toYaml, fromYaml, toJson, fromJson, fromJsonArray, include, tpl, required, fail. Output: every rendered
// template under templates/ (not _*.tpl, not NOTES.txt) that is not blank, as "---\n# Source: CHART/templates/FILE\n...",
// in path order; --notes renders templates/NOTES.txt instead. Not implemented (the chart must not use them): lookup,
// subcharts, .Capabilities, schema validation (the tests validate values.schema.json with ajv).
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io/ioutil"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"text/template"

	"github.com/Masterminds/sprig"
	"sigs.k8s.io/yaml"
)

type valueFiles []string

func (v *valueFiles) String() string     { return strings.Join(*v, ",") }
func (v *valueFiles) Set(s string) error { *v = append(*v, s); return nil }

// Files is .Files: every file of the chart outside templates/, keyed by its slash path relative to the chart.
type Files map[string][]byte

func (f Files) Get(name string) string      { return string(f[name]) }
func (f Files) GetBytes(name string) []byte { return f[name] }
func (f Files) Glob(pattern string) Files {
	out := Files{}
	for name, data := range f {
		if ok, _ := path.Match(pattern, name); ok {
			out[name] = data
		}
	}
	return out
}

func main() {
	var files, excludes valueFiles
	chartDir := flag.String("chart", "", "chart directory")
	name := flag.String("name", "cluster", "release name")
	namespace := flag.String("namespace", "default", "release namespace")
	notes := flag.Bool("notes", false, "render templates/NOTES.txt instead of the manifests")
	flag.Var(&files, "f", "values file (repeatable)")
	flag.Var(&excludes, "exclude", "template (e.g. templates/x.yaml) rendered but left out of the output (repeatable)")
	flag.Parse()
	if err := run(*chartDir, *name, *namespace, files, excludes, *notes, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "render:", err)
		os.Exit(1)
	}
}

func run(chartDir, name, namespace string, valuesFiles, excludes []string, notes bool, out *os.File) error {
	chartYaml, err := readYaml(filepath.Join(chartDir, "Chart.yaml"))
	if err != nil {
		return err
	}
	values, err := readYaml(filepath.Join(chartDir, "values.yaml"))
	if err != nil {
		return err
	}
	for _, f := range valuesFiles {
		override, err := readYaml(f)
		if err != nil {
			return err
		}
		values = merge(values, override)
	}
	chartName, _ := chartYaml["name"].(string)
	chart := map[string]interface{}{}
	for k, v := range chartYaml {
		chart[strings.ToUpper(k[:1])+k[1:]] = v
	}
	release := map[string]interface{}{"Name": name, "Namespace": namespace, "Service": "Helm", "IsInstall": true, "IsUpgrade": false, "Revision": 1}

	chartFiles := Files{}
	templates := map[string]string{}
	err = walk(chartDir, "", func(rel string, data []byte) {
		if strings.HasPrefix(rel, "templates/") {
			templates[rel] = string(data)
		} else {
			chartFiles[rel] = data
		}
	})
	if err != nil {
		return err
	}

	root := template.New("gotpl").Option("missingkey=zero")
	funcs := sprig.TxtFuncMap()
	delete(funcs, "env")
	delete(funcs, "expandenv")
	includeDepth := 0
	funcs["include"] = func(n string, data interface{}) (string, error) {
		if includeDepth > 1000 {
			return "", fmt.Errorf("include %q: recursion too deep", n)
		}
		includeDepth++
		defer func() { includeDepth-- }()
		var buf bytes.Buffer
		err := root.ExecuteTemplate(&buf, n, data)
		return buf.String(), err
	}
	funcs["tpl"] = func(text string, data interface{}) (string, error) {
		t, err := root.Clone()
		if err != nil {
			return "", err
		}
		t, err = t.New("tpl").Parse(text)
		if err != nil {
			return "", err
		}
		var buf bytes.Buffer
		err = t.Execute(&buf, data)
		return strings.ReplaceAll(buf.String(), "<no value>", ""), err
	}
	funcs["required"] = func(msg string, v interface{}) (interface{}, error) {
		if v == nil {
			return nil, fmt.Errorf(msg)
		}
		if s, ok := v.(string); ok && s == "" {
			return nil, fmt.Errorf(msg)
		}
		return v, nil
	}
	funcs["fail"] = func(msg string) (string, error) { return "", fmt.Errorf(msg) }
	funcs["toYaml"] = func(v interface{}) string {
		data, err := yaml.Marshal(v)
		if err != nil {
			return ""
		}
		return strings.TrimSuffix(string(data), "\n")
	}
	funcs["fromYaml"] = func(s string) map[string]interface{} {
		m := map[string]interface{}{}
		if err := yaml.Unmarshal([]byte(s), &m); err != nil {
			m["Error"] = err.Error()
		}
		return m
	}
	funcs["toJson"] = func(v interface{}) string {
		data, err := json.Marshal(v)
		if err != nil {
			return ""
		}
		return string(data)
	}
	funcs["fromJson"] = func(s string) map[string]interface{} {
		m := map[string]interface{}{}
		if err := json.Unmarshal([]byte(s), &m); err != nil {
			m["Error"] = err.Error()
		}
		return m
	}
	funcs["fromJsonArray"] = func(s string) []interface{} {
		a := []interface{}{}
		if err := json.Unmarshal([]byte(s), &a); err != nil {
			return []interface{}{err.Error()}
		}
		return a
	}
	funcs["lookup"] = func(...interface{}) (map[string]interface{}, error) {
		return nil, fmt.Errorf("lookup is not supported: the chart must render without a cluster")
	}
	root.Funcs(funcs)

	names := make([]string, 0, len(templates))
	for n := range templates {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if _, err := root.New(chartName + "/" + n).Parse(templates[n]); err != nil {
			return err
		}
	}

	var result bytes.Buffer
	for _, n := range names {
		base := path.Base(n)
		isNotes := n == "templates/NOTES.txt"
		if strings.HasPrefix(base, "_") || notes != isNotes {
			continue
		}
		data := map[string]interface{}{
			"Values": values, "Release": release, "Chart": chart, "Files": chartFiles,
			"Template": map[string]interface{}{"Name": chartName + "/" + n, "BasePath": chartName + "/templates"},
		}
		var buf bytes.Buffer
		if err := root.ExecuteTemplate(&buf, chartName+"/"+n, data); err != nil {
			return err
		}
		text := strings.ReplaceAll(buf.String(), "<no value>", "")
		if notes {
			result.WriteString(text)
			continue
		}
		if contains(excludes, n) {
			continue
		}
		for _, doc := range splitDocuments(text) {
			fmt.Fprintf(&result, "---\n# Source: %s/%s\n%s\n", chartName, n, doc)
		}
	}
	_, err = out.Write(result.Bytes())
	return err
}

// splitDocuments splits a rendered template at "---" lines and drops blank documents, as Helm does.
func splitDocuments(text string) []string {
	var docs []string
	for _, part := range strings.Split("\n"+text, "\n---") {
		trimmed := strings.TrimSpace(part)
		if trimmed != "" && !onlyComments(trimmed) {
			docs = append(docs, strings.TrimRight(strings.TrimLeft(part, "\n"), " \n"))
		}
	}
	return docs
}

func onlyComments(doc string) bool {
	for _, line := range strings.Split(doc, "\n") {
		if l := strings.TrimSpace(line); l != "" && !strings.HasPrefix(l, "#") {
			return false
		}
	}
	return true
}

// walk visits every regular file under dir, following symbolic links (as Helm's chart loader does).
func walk(dir, rel string, visit func(string, []byte)) error {
	entries, err := ioutil.ReadDir(filepath.Join(dir, rel))
	if err != nil {
		return err
	}
	for _, e := range entries {
		r := path.Join(rel, e.Name())
		full := filepath.Join(dir, r)
		info, err := os.Stat(full)
		if err != nil {
			return err
		}
		if info.IsDir() {
			if err := walk(dir, r, visit); err != nil {
				return err
			}
			continue
		}
		data, err := ioutil.ReadFile(full)
		if err != nil {
			return err
		}
		visit(r, data)
	}
	return nil
}

func readYaml(file string) (map[string]interface{}, error) {
	data, err := ioutil.ReadFile(file)
	if err != nil {
		return nil, err
	}
	m := map[string]interface{}{}
	if err := yaml.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("%s: %v", file, err)
	}
	return m, nil
}

// merge deep-merges override into base (Helm's coalescing of -f files): maps merge, other values replace, null deletes.
func merge(base, override map[string]interface{}) map[string]interface{} {
	out := map[string]interface{}{}
	for k, v := range base {
		out[k] = v
	}
	for k, v := range override {
		if v == nil {
			delete(out, k)
			continue
		}
		bm, bok := out[k].(map[string]interface{})
		om, ook := v.(map[string]interface{})
		if bok && ook {
			out[k] = merge(bm, om)
		} else {
			out[k] = v
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
