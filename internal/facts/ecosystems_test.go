package facts

import (
	"maps"
	"reflect"
	"slices"
	"testing"

	"github.com/paved-dev/paved/internal/facts/factstest"
)

func TestNode(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  NodeFact
	}{
		{
			name: "a typical service",
			files: map[string]string{
				"package.json": `{
  "name": "@acme/web",
  "version": "1.4.0",
  "packageManager": "pnpm@9.1.0",
  "engines": {"node": ">=20"},
  "scripts": {"build": "tsc", "test": "vitest run"},
  "dependencies": {"react": "^18.3.0"},
  "devDependencies": {"vitest": "^2.0.0", "typescript": "5.5.2"},
  "workspaces": ["packages/*"]
}`,
				"pnpm-lock.yaml": "lockfileVersion: '9.0'\n",
			},
			want: NodeFact{
				Name: "@acme/web", Version: "1.4.0", EnginesNode: ">=20", PackageManager: "pnpm@9.1.0",
				Dependencies:    map[string]string{"react": "^18.3.0"},
				DevDependencies: map[string]string{"vitest": "^2.0.0", "typescript": "5.5.2"},
				Scripts:         []string{"build", "test"}, HasTestScript: true, TestScript: "vitest run",
				Lockfile: "pnpm", Workspaces: true,
			},
		},
		{
			name: "npm init's placeholder test script is no test script",
			files: map[string]string{
				"package.json":      `{"name": "x", "scripts": {"test": "echo \"Error: no test specified\" && exit 1"}, "engines": {"node": 20}}`,
				"package-lock.json": "{}",
			},
			want: NodeFact{
				Name: "x", Dependencies: map[string]string{}, DevDependencies: map[string]string{},
				Scripts: []string{"test"}, TestScript: `echo "Error: no test specified" && exit 1`, Lockfile: "npm",
			},
		},
		{
			name:  "minimal",
			files: map[string]string{"package.json": "{}", "yarn.lock": ""},
			want: NodeFact{
				Dependencies: map[string]string{}, DevDependencies: map[string]string{}, Scripts: []string{}, Lockfile: "yarn",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, problems := collect(t, factstest.New(tt.files))
			noProblems(t, problems)
			got := value[NodeFact](t, f, NamespaceNode)
			if got.Name != tt.want.Name || got.Version != tt.want.Version || got.EnginesNode != tt.want.EnginesNode ||
				got.PackageManager != tt.want.PackageManager || !maps.Equal(got.Dependencies, tt.want.Dependencies) ||
				!maps.Equal(got.DevDependencies, tt.want.DevDependencies) || !slices.Equal(got.Scripts, tt.want.Scripts) ||
				got.HasTestScript != tt.want.HasTestScript || got.TestScript != tt.want.TestScript ||
				got.Lockfile != tt.want.Lockfile || got.Workspaces != tt.want.Workspaces {
				t.Errorf("node = %+v\nwant   %+v", got, tt.want)
			}
		})
	}
}

func TestNodeMalformed(t *testing.T) {
	tests := []struct {
		name, src string
		line      int
	}{
		{"syntax", "{\n  \"name\": \"x\",\n  \"version\": 1.0.0\n}\n", 3},
		{"a dependency that is not a string", "{\n\"dependencies\": {\n  \"a\": {\"version\": \"1\"}\n}}\n", 3},
		{"truncated", "{\"name\": ", 1},
		{"not an object", "[1, 2]", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, problems := collect(t, factstest.New(map[string]string{"package.json": tt.src, "a.test.js": "x"}))
			hasProblem(t, problems, ProblemInvalidFile, "package.json", tt.line)
			if len(problems) != 1 {
				t.Errorf("reported %d times: %+v", len(problems), problems)
			}
			if _, ok := f[NamespaceNode]; ok {
				t.Error("node namespace present")
			}
			// The tests collector also reads package.json; it must not fail.
			if !value[TestsFact](t, f, NamespaceTests).HasTests {
				t.Error("tests lost")
			}
		})
	}
}

func TestJava(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  JavaFact
	}{
		{
			name: "Maven with Spring Boot parent and a release property",
			files: map[string]string{"pom.xml": `<?xml version="1.0" encoding="ISO-8859-1"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <parent>
    <groupId>org.springframework.boot</groupId>
    <artifactId>spring-boot-starter-parent</artifactId>
    <version>3.3.1</version>
  </parent>
  <groupId>com.acme</groupId>
  <artifactId>orders</artifactId>
  <properties>
    <java.version>21</java.version>
    <maven.compiler.release>${java.version}</maven.compiler.release>
  </properties>
  <dependencies>
    <dependency><groupId>org.springframework.boot</groupId><artifactId>spring-boot-starter-web</artifactId></dependency>
  </dependencies>
</project>`},
			want: JavaFact{BuildTool: "maven", BuildFile: "pom.xml", JavaVersion: "21", JavaVersionFrom: "maven.compiler.release",
				SpringBoot: true, SpringBootVersion: "3.3.1", GroupID: "com.acme", ArtifactID: "orders"},
		},
		{
			name: "Maven compiler plugin source, Spring Boot from a BOM",
			files: map[string]string{"pom.xml": `<project>
  <groupId>com.acme</groupId><artifactId>legacy</artifactId>
  <properties><boot.version>2.7.18</boot.version></properties>
  <dependencyManagement><dependencies>
    <dependency><groupId>org.springframework.boot</groupId><artifactId>spring-boot-dependencies</artifactId><version>${boot.version}</version></dependency>
  </dependencies></dependencyManagement>
  <build><plugins>
    <plugin><artifactId>maven-compiler-plugin</artifactId><configuration><source>1.8</source><target>1.8</target></configuration></plugin>
  </plugins></build>
</project>`},
			want: JavaFact{BuildTool: "maven", BuildFile: "pom.xml", JavaVersion: "1.8", JavaVersionFrom: "maven-compiler-plugin",
				SpringBoot: true, SpringBootVersion: "2.7.18", GroupID: "com.acme", ArtifactID: "legacy"},
		},
		{
			name:  "Maven without a stated version",
			files: map[string]string{"pom.xml": "<project><artifactId>x</artifactId></project>"},
			want:  JavaFact{BuildTool: "maven", BuildFile: "pom.xml", ArtifactID: "x"},
		},
		{
			name: "Gradle Kotlin DSL with a toolchain",
			files: map[string]string{"build.gradle.kts": `plugins {
    java
    id("org.springframework.boot") version "3.2.5"
}
java {
    toolchain {
        languageVersion = JavaLanguageVersion.of(17)
    }
}
`},
			want: JavaFact{BuildTool: "gradle", BuildFile: "build.gradle.kts", JavaVersion: "17", JavaVersionFrom: "toolchain",
				SpringBoot: true, SpringBootVersion: "3.2.5"},
		},
		{
			name:  "Gradle Groovy sourceCompatibility",
			files: map[string]string{"build.gradle": "apply plugin: 'java'\nsourceCompatibility = JavaVersion.VERSION_1_8\n"},
			want:  JavaFact{BuildTool: "gradle", BuildFile: "build.gradle", JavaVersion: "1.8", JavaVersionFrom: "sourceCompatibility"},
		},
		{
			name:  "Gradle quoted sourceCompatibility",
			files: map[string]string{"build.gradle": "java {\n  sourceCompatibility = '11'\n}\n"},
			want:  JavaFact{BuildTool: "gradle", BuildFile: "build.gradle", JavaVersion: "11", JavaVersionFrom: "sourceCompatibility"},
		},
		{
			name:  "Kotlin jvmToolchain",
			files: map[string]string{"build.gradle.kts": "kotlin {\n  jvmToolchain(21)\n}\n"},
			want:  JavaFact{BuildTool: "gradle", BuildFile: "build.gradle.kts", JavaVersion: "21", JavaVersionFrom: "jvmToolchain"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, problems := collect(t, factstest.New(tt.files))
			noProblems(t, problems)
			if got := value[JavaFact](t, f, NamespaceJava); got != tt.want {
				t.Errorf("java = %+v\nwant   %+v", got, tt.want)
			}
		})
	}
	f, _ := collect(t, factstest.New(map[string]string{"src/Main.java": "class Main {}"}))
	if _, ok := f[NamespaceJava]; ok {
		t.Error("java namespace without a build file")
	}
}

func TestPython(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  PythonFact
	}{
		{
			name: "pyproject with requires-python and a .python-version",
			files: map[string]string{
				"pyproject.toml":  "[project]\nname = \"x\"\nrequires-python = \">=3.11\"\n\n[tool.ruff]\nline-length = 100\n",
				".python-version": "# pinned\n3.12.4\n",
				"uv.lock":         "",
			},
			want: PythonFact{Requirements: []string{}, HasPyproject: true, PackageManager: "uv",
				PythonVersion: "3.12.4", PythonVersionFrom: ".python-version", RequiresPython: ">=3.11"},
		},
		{
			name: "Poetry",
			files: map[string]string{
				"pyproject.toml": "[tool.poetry]\nname = \"x\"\n\n[tool.poetry.dependencies]\npython = \"^3.10\"\n",
			},
			want: PythonFact{Requirements: []string{}, HasPyproject: true, PackageManager: "poetry",
				PythonVersion: "^3.10", PythonVersionFrom: "pyproject.toml"},
		},
		{
			name: "requirements files and runtime.txt",
			files: map[string]string{
				"requirements.txt": "flask\n", "requirements-dev.txt": "pytest\n", "requirements/prod.txt": "gunicorn\n",
				"runtime.txt": "python-3.9.18\n", "setup.py": "",
			},
			want: PythonFact{Requirements: []string{"requirements-dev.txt", "requirements.txt", "requirements/prod.txt"},
				HasRequirements: true, HasSetupPy: true, PackageManager: "pip", PythonVersion: "3.9.18", PythonVersionFrom: "runtime.txt"},
		},
		{
			name:  "Pipfile",
			files: map[string]string{"Pipfile": "[packages]\n"},
			want:  PythonFact{Requirements: []string{}, HasPipfile: true, PackageManager: "pipenv"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, problems := collect(t, factstest.New(tt.files))
			noProblems(t, problems)
			got := value[PythonFact](t, f, NamespacePython)
			want := tt.want
			if !slices.Equal(got.Requirements, want.Requirements) {
				t.Errorf("requirements = %v", got.Requirements)
			}
			got.Requirements, want.Requirements = nil, nil
			if !reflect.DeepEqual(got, want) {
				t.Errorf("python = %+v\nwant     %+v", got, want)
			}
		})
	}
	f, _ := collect(t, factstest.New(map[string]string{"tool.py": "print(1)"}))
	if _, ok := f[NamespacePython]; ok {
		t.Error("python namespace without project files")
	}
}

func TestJavaMalformedPOM(t *testing.T) {
	f, problems := collect(t, factstest.New(map[string]string{
		"pom.xml":                      "<project>\n<dependencies>\n<dependency>junit</dependency>\n</project>\n",
		"src/test/java/x/AppTest.java": "class AppTest {}",
	}))
	hasProblem(t, problems, ProblemInvalidFile, "pom.xml", 4)
	if len(problems) != 1 {
		t.Errorf("problems = %+v", problems)
	}
	if _, ok := f[NamespaceJava]; ok {
		t.Error("java namespace present")
	}
	if tests := value[TestsFact](t, f, NamespaceTests); tests.ByLanguage["java"] != 1 {
		t.Errorf("tests = %+v", tests)
	}
}
