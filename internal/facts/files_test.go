package facts

import (
	"maps"
	"reflect"
	"slices"
	"testing"

	"github.com/paved-dev/paved/internal/facts/factstest"
)

func TestFiles(t *testing.T) {
	tests := []struct {
		name  string
		files []string
		want  FilesFact
	}{
		{
			name:  "the Go service",
			files: slices.Collect(maps.Keys(goServiceFiles())),
			want: FilesFact{
				Readme: "README.md", Codeowners: ".github/CODEOWNERS", Dockerfile: "Dockerfile", Docs: "docs",
				License: "LICENSE", CatalogInfo: "catalog-info.yaml", Gitignore: ".gitignore", Makefile: "Makefile",
			},
		},
		{
			name:  "any case and extension, GitHub's other places",
			files: []string{"readme.rst", "CODEOWNERS", "docs/CODEOWNERS", "Licence.txt", "catalog-info.yml", "GNUmakefile", "doc/x.md", "Containerfile"},
			want: FilesFact{
				Readme: "readme.rst", Codeowners: "CODEOWNERS", Dockerfile: "Containerfile", Docs: "docs",
				License: "Licence.txt", CatalogInfo: "catalog-info.yml", Makefile: "GNUmakefile",
			},
		},
		{
			name:  "README and CODEOWNERS in .github or docs",
			files: []string{".github/README.md", "docs/CODEOWNERS", "COPYING", "sub/README.md", "sub/Dockerfile", "src/docs/x.md"},
			want:  FilesFact{Readme: ".github/README.md", Codeowners: "docs/CODEOWNERS", License: "COPYING", Docs: "docs"},
		},
		{
			name:  "look-alikes",
			files: []string{"README-old.md", ".readme", "LICENSE-MIT", "makefile.inc", "dockerfile", "docs"},
			want:  FilesFact{},
		},
		{
			name:  "nothing",
			files: nil,
			want:  FilesFact{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := map[string]string{}
			for _, p := range tt.files {
				files[p] = "x"
			}
			// The files are not valid Go or Dockerfiles; only "files" matters.
			f, _ := collect(t, factstest.New(files))
			got := value[FilesFact](t, f, NamespaceFiles)
			want := tt.want
			want.Count, want.TotalBytes, want.Skipped = len(files), int64(len(files)), []SkippedFile{}
			if tt.name == "the Go service" {
				want.TotalBytes = got.TotalBytes
			}
			want.HasReadme, want.HasCodeowners, want.HasDockerfile = want.Readme != "", want.Codeowners != "", want.Dockerfile != ""
			want.HasDocs, want.HasLicense, want.HasCatalogInfo = want.Docs != "", want.License != "", want.CatalogInfo != ""
			want.HasGitignore, want.HasMakefile = want.Gitignore != "", want.Makefile != ""
			if !reflect.DeepEqual(got, want) {
				t.Errorf("files = %+v\nwant    %+v", got, want)
			}
		})
	}
}

func TestFilesSkippedIsBounded(t *testing.T) {
	tree := factstest.New(nil)
	for i := range MaxSkippedListed + 20 {
		tree.AddLarge("blobs/"+string(rune('a'+i/26))+string(rune('a'+i%26))+".bin", 2<<20)
	}
	f, problems := collect(t, tree)
	noProblems(t, problems) // nobody wanted to read them
	files := value[FilesFact](t, f, NamespaceFiles)
	if len(files.Skipped) != MaxSkippedListed || files.SkippedCount != MaxSkippedListed+20 {
		t.Errorf("skipped %d listed of %d", len(files.Skipped), files.SkippedCount)
	}
}

func TestTests(t *testing.T) {
	tests := []struct {
		name       string
		files      map[string]string
		byLanguage map[string]int
		frameworks []string
	}{
		{
			name:       "Go with testify",
			files:      goServiceFiles(),
			byLanguage: map[string]int{"go": 2},
			frameworks: []string{"go-testing", "testify"},
		},
		{
			name: "Maven and JUnit, in any module",
			files: map[string]string{
				"pom.xml":                                 "<project><dependencies><dependency><groupId>org.junit.jupiter</groupId></dependency></dependencies></project>",
				"src/test/java/com/acme/AppTest.java":     "",
				"api/src/test/kotlin/ApiTest.kt":          "",
				"src/test/resources/data.json":            "",
				"src/main/java/com/acme/App.java":         "",
				"examples/src/test/java/ExampleTest.java": "",
			},
			byLanguage: map[string]int{"java": 2},
			frameworks: []string{"junit"},
		},
		{
			name: "JavaScript conventions and frameworks from package.json",
			files: map[string]string{
				"package.json":                 `{"devDependencies": {"jest": "29", "@playwright/test": "1"}, "dependencies": {"react": "18"}}`,
				"src/app.test.ts":              "",
				"src/app.spec.jsx":             "",
				"src/__tests__/util.js":        "",
				"src/app.ts":                   "",
				"node_modules/lib/lib.test.js": "",
				"src/test.config.js":           "",
			},
			byLanguage: map[string]int{"javascript": 3},
			frameworks: []string{"jest", "playwright"},
		},
		{
			name: "Python and pytest",
			files: map[string]string{
				"requirements-dev.txt":   "pytest==8.2\n",
				"test_app.py":            "",
				"app_test.py":            "",
				"tests/test_api.py":      "",
				"tests/helpers.py":       "",
				"tests/__init__.py":      "",
				"tests/conftest.py":      "",
				"app.py":                 "",
				"tests/fixtures/data.py": "",
			},
			byLanguage: map[string]int{"python": 4},
			frameworks: []string{"pytest"},
		},
		{
			name:       "no tests",
			files:      map[string]string{"main.go": "package main\n", "README.md": ""},
			byLanguage: map[string]int{},
			frameworks: []string{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, problems := collect(t, factstest.New(tt.files))
			noProblems(t, problems)
			got := value[TestsFact](t, f, NamespaceTests)
			count := 0
			for _, n := range tt.byLanguage {
				count += n
			}
			if !maps.Equal(got.ByLanguage, tt.byLanguage) || got.Count != count || got.HasTests != (count > 0) ||
				!slices.Equal(got.Frameworks, tt.frameworks) {
				t.Errorf("tests = %+v, want %v %v", got, tt.byLanguage, tt.frameworks)
			}
		})
	}
}
