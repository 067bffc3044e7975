package facts

import (
	"encoding/json"
	"errors"
	"strings"
)

// NodeFact is the "node" namespace, from the root package.json.
type NodeFact struct {
	Name            string            `json:"name"`
	Version         string            `json:"version"`
	EnginesNode     string            `json:"engines_node"`    // engines.node, e.g. ">=20"
	PackageManager  string            `json:"package_manager"` // the packageManager field, e.g. "pnpm@9.1.0"
	Dependencies    map[string]string `json:"dependencies"`
	DevDependencies map[string]string `json:"dev_dependencies"`
	Scripts         []string          `json:"scripts"` // script names
	// HasTestScript is true when scripts.test is set to something other
	// than npm init's placeholder that only fails.
	HasTestScript bool   `json:"has_test_script"`
	TestScript    string `json:"test_script"`
	// Lockfile is the kind of lockfile at the root: "npm", "yarn", "pnpm",
	// "bun", or "" when there is none.
	Lockfile   string `json:"lockfile"`
	Workspaces bool   `json:"workspaces"`
}

// packageJSON is the part of package.json paved reads. Fields whose type
// varies in the wild (workspaces, engines) are decoded loosely.
type packageJSON struct {
	Name            string            `json:"name"`
	Version         string            `json:"version"`
	PackageManager  string            `json:"packageManager"`
	Engines         map[string]any    `json:"engines"`
	Dependencies    map[string]string `json:"dependencies"`
	DevDependencies map[string]string `json:"devDependencies"`
	Scripts         map[string]string `json:"scripts"`
	Workspaces      json.RawMessage   `json:"workspaces"`
}

// npmPlaceholderTest is what `npm init` writes as scripts.test.
const npmPlaceholderTest = `echo "Error: no test specified" && exit 1`

// lockfiles maps a root lockfile to its package manager, in the order a
// repository with several is described by.
var lockfiles = [...]struct{ file, kind string }{
	{"pnpm-lock.yaml", "pnpm"},
	{"yarn.lock", "yarn"},
	{"bun.lock", "bun"},
	{"bun.lockb", "bun"},
	{"package-lock.json", "npm"},
	{"npm-shrinkwrap.json", "npm"},
}

func collectNode(r *repo) (any, string) {
	pkg := r.packageJSON()
	if pkg == nil {
		return nil, ""
	}
	fact := NodeFact{
		Name:            pkg.Name,
		Version:         pkg.Version,
		PackageManager:  pkg.PackageManager,
		Dependencies:    pkg.Dependencies,
		DevDependencies: pkg.DevDependencies,
		Scripts:         sortedKeys(pkg.Scripts),
		TestScript:      pkg.Scripts["test"],
		Workspaces:      len(pkg.Workspaces) > 0 && string(pkg.Workspaces) != "null",
	}
	if v, ok := pkg.Engines["node"].(string); ok {
		fact.EnginesNode = v
	}
	if fact.Dependencies == nil {
		fact.Dependencies = map[string]string{}
	}
	if fact.DevDependencies == nil {
		fact.DevDependencies = map[string]string{}
	}
	fact.HasTestScript = strings.TrimSpace(fact.TestScript) != "" && fact.TestScript != npmPlaceholderTest
	for _, l := range lockfiles {
		if r.has(l.file) {
			fact.Lockfile = l.kind
			break
		}
	}
	return fact, "package.json"
}

// packageJSON parses the root package.json once per Collect; the node and
// tests collectors both use it. It returns nil when there is none or it is
// malformed, which is reported once.
func (r *repo) packageJSON() *packageJSON {
	if r.pkgDone {
		return r.pkg
	}
	r.pkgDone = true
	content, ok := r.read("package.json")
	if !ok {
		return nil
	}
	var pkg packageJSON
	if err := json.Unmarshal(content, &pkg); err != nil {
		line := 0
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.As(err, &syn):
			line = lineAt(content, syn.Offset)
		case errors.As(err, &typ):
			line = lineAt(content, typ.Offset)
		}
		r.problem(ProblemInvalidFile, "package.json", line, "package.json is not valid: "+err.Error())
		return nil
	}
	r.pkg = &pkg
	return r.pkg
}
