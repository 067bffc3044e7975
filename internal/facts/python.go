package facts

import (
	"strings"
)

// PythonFact is the "python" namespace: how the project declares its
// dependencies and which Python it wants.
type PythonFact struct {
	Requirements    []string `json:"requirements"` // requirements*.txt and requirements/*.txt at the root
	HasRequirements bool     `json:"has_requirements"`
	HasPyproject    bool     `json:"has_pyproject"`
	HasSetupPy      bool     `json:"has_setup_py"`
	HasPipfile      bool     `json:"has_pipfile"`
	// PackageManager is "poetry", "uv", "pdm", "pipenv" or "pip", from the
	// lockfile or pyproject section that names one; "" when unknown.
	PackageManager string `json:"package_manager"`
	// PythonVersion is the most specific version stated: .python-version,
	// then runtime.txt, then pyproject's requires-python, then Poetry's
	// python dependency. PythonVersionFrom is the file it came from.
	PythonVersion     string `json:"python_version"`
	PythonVersionFrom string `json:"python_version_from"`
	RequiresPython    string `json:"requires_python"` // [project] requires-python, e.g. ">=3.11"
}

func collectPython(r *repo) (any, string) {
	fact := PythonFact{Requirements: []string{}}
	for _, f := range r.files {
		dir, base := splitPath(f.Path)
		if strings.HasSuffix(base, ".txt") && (dir == "requirements" || (dir == "" && strings.HasPrefix(base, "requirements"))) {
			fact.Requirements = append(fact.Requirements, f.Path)
		}
	}
	fact.HasRequirements = len(fact.Requirements) > 0
	fact.HasPyproject = r.has("pyproject.toml")
	fact.HasSetupPy = r.has("setup.py") || r.has("setup.cfg")
	fact.HasPipfile = r.has("Pipfile")
	hasVersionFile := r.has(".python-version") || r.has("runtime.txt")
	if !fact.HasRequirements && !fact.HasPyproject && !fact.HasSetupPy && !fact.HasPipfile && !hasVersionFile {
		return nil, ""
	}
	sources := []string{}

	var poetryPython string
	poetry := false
	if content, ok := r.read("pyproject.toml"); ok {
		sources = append(sources, "pyproject.toml")
		fact.RequiresPython, poetryPython, poetry = pyproject(string(content))
	}
	switch {
	case poetry || r.has("poetry.lock"):
		fact.PackageManager = "poetry"
	case r.has("uv.lock"):
		fact.PackageManager = "uv"
	case r.has("pdm.lock"):
		fact.PackageManager = "pdm"
	case fact.HasPipfile:
		fact.PackageManager = "pipenv"
	case fact.HasRequirements:
		fact.PackageManager = "pip"
	}

	if content, ok := r.read(".python-version"); ok {
		sources = append(sources, ".python-version")
		fact.PythonVersion, fact.PythonVersionFrom = firstLine(string(content)), ".python-version"
	}
	if content, ok := r.read("runtime.txt"); ok && fact.PythonVersion == "" {
		sources = append(sources, "runtime.txt")
		if v, ok := strings.CutPrefix(firstLine(string(content)), "python-"); ok {
			fact.PythonVersion, fact.PythonVersionFrom = v, "runtime.txt"
		}
	}
	if fact.PythonVersion == "" && fact.RequiresPython != "" {
		fact.PythonVersion, fact.PythonVersionFrom = fact.RequiresPython, "pyproject.toml"
	}
	if fact.PythonVersion == "" && poetryPython != "" {
		fact.PythonVersion, fact.PythonVersionFrom = poetryPython, "pyproject.toml"
	}
	src := strings.Join(sources, ", ")
	if src == "" {
		src = "tree"
	}
	return fact, src
}

// pyproject reads the few keys paved needs from a pyproject.toml without a
// TOML parser: [project] requires-python, [tool.poetry.dependencies] python,
// and whether a [tool.poetry] table exists. Values are single-line strings
// in every pyproject these keys appear in.
func pyproject(src string) (requiresPython, poetryPython string, poetry bool) {
	section := ""
	for line := range strings.Lines(src) {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "[") {
			section = strings.Trim(line, "[] \t")
			if section == "tool.poetry" || strings.HasPrefix(section, "tool.poetry.") {
				poetry = true
			}
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		key = strings.Trim(strings.TrimSpace(key), `"'`)
		switch {
		case section == "project" && key == "requires-python":
			requiresPython = quoted(value)
		case section == "tool.poetry.dependencies" && key == "python":
			poetryPython = quoted(value)
		}
	}
	return requiresPython, poetryPython, poetry
}

// firstLine returns the first line that is neither blank nor a comment.
func firstLine(s string) string {
	for line := range strings.Lines(s) {
		line = strings.TrimSpace(line)
		if line != "" && line[0] != '#' {
			return line
		}
	}
	return ""
}
