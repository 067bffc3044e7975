package facts

import (
	"bytes"
	"strings"
)

// TestsFact is the "tests" namespace: whether the repository has tests by
// each ecosystem's convention, and which frameworks it uses.
type TestsFact struct {
	HasTests bool `json:"has_tests"`
	Count    int  `json:"count"` // test files
	// ByLanguage counts test files per ecosystem: "go", "java",
	// "javascript" (TypeScript included) and "python".
	ByLanguage map[string]int `json:"by_language"`
	// Frameworks are those detected: "go-testing", "testify", "ginkgo",
	// "junit", "testng", "jest", "mocha", "vitest", "jasmine", "ava",
	// "playwright", "cypress", "pytest".
	Frameworks []string `json:"frameworks"`
}

// jsTestFrameworks maps a package.json dependency to the framework it is.
var jsTestFrameworks = map[string]string{
	"jest": "jest", "mocha": "mocha", "vitest": "vitest", "jasmine": "jasmine", "ava": "ava",
	"@playwright/test": "playwright", "cypress": "cypress",
}

// goTestFrameworks maps a go.mod requirement to the framework it is.
var goTestFrameworks = map[string]string{
	"github.com/stretchr/testify": "testify", "github.com/onsi/ginkgo": "ginkgo", "github.com/onsi/ginkgo/v2": "ginkgo",
}

func collectTests(r *repo) (any, string) {
	fact := TestsFact{ByLanguage: map[string]int{}}
	var frameworks []string
	pythonConfig := false
	for _, f := range r.files {
		dir, base := splitPath(f.Path)
		if f.Symlink || ignoredDir(dir) {
			continue
		}
		if lang := testFileLanguage(dir, base); lang != "" {
			fact.ByLanguage[lang]++
			fact.Count++
		}
		if dir == "" && (base == "conftest.py" || base == "pytest.ini") {
			pythonConfig = true
		}
	}
	fact.HasTests = fact.Count > 0

	if fact.ByLanguage["go"] > 0 {
		frameworks = append(frameworks, "go-testing")
	}
	if mod := r.goMod(); mod != nil && mod.file != nil {
		for _, req := range mod.file.Require {
			if fw, ok := goTestFrameworks[req.Mod.Path]; ok && !req.Indirect {
				frameworks = append(frameworks, fw)
			}
		}
	}
	if java := r.javaBuild(); java != nil {
		// Build files name their test libraries as plain strings; the
		// content is already read (and cached) by javaBuild.
		if content, ok := r.read(java.BuildFile); ok {
			if bytes.Contains(content, []byte("junit")) || bytes.Contains(content, []byte("spring-boot-starter-test")) {
				frameworks = append(frameworks, "junit")
			}
			if bytes.Contains(content, []byte("testng")) {
				frameworks = append(frameworks, "testng")
			}
		}
	}
	if pkg := r.packageJSON(); pkg != nil {
		for _, deps := range [...]map[string]string{pkg.Dependencies, pkg.DevDependencies} {
			for name := range deps {
				if fw, ok := jsTestFrameworks[name]; ok {
					frameworks = append(frameworks, fw)
				}
			}
		}
	}
	if fact.ByLanguage["python"] > 0 || pythonConfig {
		if pythonConfig || r.mentions("pytest", "pyproject.toml", "requirements.txt", "requirements-dev.txt",
			"requirements-test.txt", "setup.cfg", "tox.ini", "Pipfile") {
			frameworks = append(frameworks, "pytest")
		}
	}
	fact.Frameworks = sortedSet(frameworks)
	return fact, "tree"
}

// testFileLanguage returns the ecosystem whose convention makes a file a
// test, "" when it is not one.
func testFileLanguage(dir, base string) string {
	e := ext(base)
	switch e {
	case ".go":
		if strings.HasSuffix(base, "_test.go") {
			return "go"
		}
	case ".java", ".kt", ".groovy", ".scala":
		// Maven and Gradle keep tests under src/test/, in any module.
		if dir == "src/test" || strings.HasPrefix(dir, "src/test/") || strings.Contains(dir, "/src/test/") || strings.HasSuffix(dir, "/src/test") {
			return "java"
		}
	case ".js", ".jsx", ".ts", ".tsx", ".mjs", ".cjs", ".mts", ".cts":
		stem := base[:len(base)-len(e)]
		if strings.HasSuffix(stem, ".test") || strings.HasSuffix(stem, ".spec") || hasComponent(dir, "__tests__") {
			return "javascript"
		}
	case ".py":
		if (strings.HasPrefix(base, "test_") || strings.HasSuffix(base, "_test.py") || hasComponent(dir, "tests")) &&
			base != "__init__.py" && base != "conftest.py" {
			return "python"
		}
	}
	return ""
}

// hasComponent reports whether a slash path has a component named name.
func hasComponent(dir, name string) bool {
	for dir != "" {
		var comp string
		comp, dir, _ = strings.Cut(dir, "/")
		if comp == name {
			return true
		}
	}
	return false
}

// mentions reports whether any of files, where present, contains word.
func (r *repo) mentions(word string, files ...string) bool {
	for _, p := range files {
		if content, ok := r.read(p); ok && bytes.Contains(content, []byte(word)) {
			return true
		}
	}
	return false
}
