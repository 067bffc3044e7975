package facts

import (
	"strings"

	"github.com/go-enry/go-enry/v2"
	"github.com/go-enry/go-enry/v2/data"
)

// Language statistics leave out vendored, generated and documentation files,
// as GitHub's linguist does. enry implements linguist's rules as about 220
// regular expressions, which cost 10–15 µs per path here: more than the whole
// budget of a typical repository. The functions below re-state the same
// rules (enry v2.9.6, data/vendor.go, documentation.go and generated.go) as
// string comparisons over path components, and TestClassifyMatchesEnry holds
// them to enry's answers over a corpus of paths. Front-end files (.js, .css
// and friends), where linguist's long tail of library-name rules lives, still
// go through enry's own matcher, which is exact and costs only where it
// applies.

// excludedFromLanguages reports whether linguist would leave path out of a
// repository's language statistics by its path alone.
func excludedFromLanguages(path string) bool {
	dir, base := splitPath(path)
	if excludedDir(dir) || excludedBase(dir == "", base) {
		return true
	}
	if frontEndExt(base) {
		return enry.IsVendor(path)
	}
	return false
}

// ignoredDir reports whether linguist sets aside everything in dir as
// vendored, generated or documentation (node_modules/, vendor/,
// third_party/, testdata/, docs/, examples/, …). The tests and dockerfile
// collectors use it so that other people's tests and example images do not
// count as the repository's own.
func ignoredDir(dir string) bool {
	return dir != "" && excludedDir(dir)
}

// excludedDir applies linguist's directory rules to each component of dir.
func excludedDir(dir string) bool {
	if dir == "" {
		return false
	}
	rest := dir
	first := true
	for rest != "" {
		comp, next := rest, ""
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			comp, rest = rest[:i], rest[i+1:]
			next, _, _ = strings.Cut(rest, "/")
		} else {
			rest = ""
		}
		if excludedComponent(comp, next, first) {
			return true
		}
		first = false
	}
	return false
}

// excludedComponent reports whether a directory named comp (followed by the
// directory next, "" if none) marks what is below it as vendored, generated
// or documentation. first is true for a top-level directory, where some of
// linguist's rules are anchored.
func excludedComponent(comp, next string, first bool) bool {
	if _, ok := excludedDirs[comp]; ok {
		return true
	}
	if first {
		if _, ok := excludedRootDirs[comp]; ok {
			return true
		}
	}
	// (^|/)[Vv]+endor/
	if v := strings.TrimLeft(comp, "Vv"); len(v) < len(comp) && v == "endor" {
		return true
	}
	// (3rd|[Tt]hird)[-_]?[Pp]arty/ is not anchored at the start of a
	// component, so "my_thirdparty/" matches too.
	if thirdParty(comp) {
		return true
	}
	// \.xctemplate/, \.imageset/, and the generated-code rules
	// node_modules/, Godeps/ and __generated__/ are substring matches.
	if strings.HasSuffix(comp, ".xctemplate") || strings.HasSuffix(comp, ".imageset") ||
		strings.HasSuffix(comp, "node_modules") || strings.HasSuffix(comp, "Godeps") ||
		strings.HasSuffix(comp, "__generated__") ||
		strings.HasPrefix(comp, "Realm.framework") || strings.HasPrefix(comp, "RealmSwift.framework") {
		return true
	}
	if next == "" {
		return false
	}
	switch comp {
	case "Godeps":
		return next == "_workspace"
	case ".yarn":
		return next == "releases" || next == "plugins" || next == "sdks" || next == "versions" || next == "unplugged"
	case "gradle", ".mvn":
		return next == "wrapper"
	case "test", "Test", "tests", "Tests", "spec", "Spec", "specs", "Specs":
		return next == "fixtures"
	case "inst":
		return next == "extdata" || next == "doc"
	case "doc", "docs":
		switch strings.TrimPrefix(next, "_") {
		case "build", "theme", "themes", "template", "templates", "static":
			return true
		}
	case "tiny_mce":
		return hasAnyPrefix(next, "langs", "plugins", "themes", "utils")
	case "CodeMirror", "Codemirror", "codeMirror", "codemirror":
		return hasAnyPrefix(next, "lib", "mode", "theme", "addon", "keymap", "demo") || versionDir(next)
	case "Packages", "packages":
		return versionDir(next) || dottedNumberSuffix(next)
	}
	return false
}

// excludedDirs are directory names linguist excludes at any depth.
var excludedDirs = map[string]struct{}{
	// vendor.go
	"cache": {}, "dist": {}, "node_modules": {}, "bower_components": {}, "testdata": {},
	"vendors": {}, "extern": {}, "Extern": {}, "external": {}, "External": {}, "externals": {},
	"Externals": {}, "bootstrap-datepicker": {}, "ace-builds": {}, "MathJax": {}, "admin_media": {},
	"env": {}, "Carthage": {}, "Sparkle": {}, "Crashlytics.framework": {}, "Fabric.framework": {},
	"BuddyBuildSDK.framework": {}, ".vscode": {}, "puphpet": {}, ".google_apis": {}, ".github": {},
	".obsidian": {}, ".teamcity": {}, "xvba_modules": {}, "extjs": {},
	// generated.go
	".idea": {}, "Pods": {}, "htmlcov": {},
	// documentation.go
	"documentation": {}, "Documentation": {}, "groovydoc": {}, "Groovydoc": {}, "javadoc": {}, "Javadoc": {},
}

// excludedRootDirs are directory names linguist excludes only at the top of
// the tree (its rules anchored with ^).
var excludedRootDirs = map[string]struct{}{
	"Dependencies": {}, "dependencies": {}, "deps": {}, "debian": {},
	"docs": {}, "Docs": {}, "doc": {}, "Doc": {}, "man": {}, "Man": {}, "examples": {}, "Examples": {},
	"demo": {}, "Demo": {}, "demos": {}, "Demos": {}, "sample": {}, "Sample": {}, "samples": {}, "Samples": {},
}

// excludedBase applies linguist's file-name rules; root is true for a file
// at the top of the tree.
func excludedBase(root bool, base string) bool {
	if _, ok := excludedNames[base]; ok {
		return true
	}
	if root && base == "rebar" {
		return true
	}
	if hasAnyPrefix(base, "aclocal.m4", "libtool.m4", "ltoptions.m4", "ltsugar.m4", "ltversion.m4",
		"lt~obsolete.m4", "cpplint.py", "erlang.mk", ".indent.pro", ".sublime-project", ".sublime-workspace",
		".pnp.", "Realm.framework", "RealmSwift.framework") {
		return true
	}
	if hasAnySuffix(base, ".d.ts", ".js.map", ".css.map", "Gopkg.lock", "glide.lock", "poetry.lock",
		"pdm.lock", "uv.lock", "deno.lock", "npm-shrinkwrap.json", "package-lock.json", "pnpm-lock.yaml",
		"composer.lock", "Cargo.lock", "Cargo.toml.orig", "Pipfile.lock") {
		return true
	}
	if base == "esy.lock" || strings.HasSuffix(base, ".esy.lock") || strings.EqualFold(base, ".ds_store") {
		return true
	}
	if e := ext(base); e != "" {
		if _, ok := data.GeneratedCodeExtensions[strings.ToLower(e)]; ok {
			return true
		}
		switch strings.ToLower(e) {
		case ".cs", ".vb":
			lower := strings.ToLower(base)
			if strings.HasSuffix(lower, ".designer"+strings.ToLower(e)) || strings.HasSuffix(lower, ".feature.cs") {
				return true
			}
		case ".c", ".h", ".php":
			if i := strings.Index(base, ".zep."); i > 0 && i+len(".zep")+len(e) == len(base) {
				return true
			}
		case ".pas":
			if strings.HasSuffix(strings.ToLower(base), "_tlb.pas") {
				return true
			}
		}
	}
	return documentationName(base)
}

// excludedNames are file names linguist treats as vendored or generated.
var excludedNames = map[string]struct{}{
	"configure": {}, "config.guess": {}, "config.sub": {}, "_esy": {}, "run.n": {}, "fabfile.py": {},
	"waf": {}, ".osx": {}, ".gitattributes": {}, ".gitignore": {}, ".gitmodules": {}, "gradlew": {},
	"gradlew.bat": {}, "mvnw": {}, "mvnw.cmd": {}, "Vagrantfile": {}, "activator": {}, "activator.bat": {},
	"proguard.pro": {}, "proguard-rules.pro": {}, "Jenkinsfile": {}, ".gitpod.Dockerfile": {},
	"dotnet-install.ps1": {}, "dotnet-install.sh": {}, "flake.lock": {}, "MODULE.bazel.lock": {},
	".terraform.lock.hcl": {},
}

// documentationName applies linguist's documentation file-name rules:
// README, LICENSE, CHANGELOG, CONTRIBUTING and the like, with or without an
// extension.
func documentationName(base string) bool {
	stem, _, _ := strings.Cut(base, ".")
	switch stem {
	case "CHANGE", "CHANGES", "CHANGELOG", "CONTRIBUTING", "COPYING", "INSTALL", "LICENSE", "LICENCE",
		"License", "Licence", "license", "licence", "README", "Readme", "readme":
		return true
	case "CITATION", "CITATIONS":
		switch base[len(stem):] {
		case "", ".bib", ".md":
			return true
		case ".cff":
			return stem == "CITATION"
		}
	}
	return false
}

// frontEndExt reports whether base is a file type that linguist's long tail
// of front-end library rules (jquery*.js, bootstrap*.css, *.min.js, …) can
// match.
func frontEndExt(base string) bool {
	switch strings.ToLower(ext(base)) {
	case ".js", ".css", ".less", ".scss", ".sass", ".styl":
		return true
	}
	return false
}

// thirdParty matches (3rd|[Tt]hird)[-_]?[Pp]arty at the end of comp.
func thirdParty(comp string) bool {
	s, ok := strings.CutSuffix(comp, "arty")
	if !ok || s == "" || (s[len(s)-1] != 'P' && s[len(s)-1] != 'p') {
		return false
	}
	s = s[:len(s)-1]
	if n := len(s); n > 0 && (s[n-1] == '-' || s[n-1] == '_') {
		s = s[:n-1]
	}
	return strings.HasSuffix(s, "3rd") || strings.HasSuffix(s, "third") || strings.HasSuffix(s, "Third")
}

// versionDir matches \d+\.\d+ exactly.
func versionDir(s string) bool {
	a, b, ok := strings.Cut(s, ".")
	return ok && allDigits(a) && allDigits(b)
}

// dottedNumberSuffix matches .+\.\d+ exactly.
func dottedNumberSuffix(s string) bool {
	i := strings.LastIndexByte(s, '.')
	return i > 0 && allDigits(s[i+1:])
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func hasAnyPrefix(s string, prefixes ...string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

func hasAnySuffix(s string, suffixes ...string) bool {
	for _, p := range suffixes {
		if strings.HasSuffix(s, p) {
			return true
		}
	}
	return false
}
