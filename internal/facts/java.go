package facts

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"strings"
)

// JavaFact is the "java" namespace, from the root pom.xml or Gradle build.
type JavaFact struct {
	BuildTool string `json:"build_tool"` // "maven" or "gradle"
	BuildFile string `json:"build_file"`
	// JavaVersion is the Java release the build targets, as written
	// ("17", "1.8", "21"), "" when the build does not say.
	JavaVersion string `json:"java_version"`
	// JavaVersionFrom names where it was found: a Maven property
	// ("maven.compiler.release", "java.version"), the compiler plugin
	// ("maven-compiler-plugin"), or Gradle's "toolchain",
	// "sourceCompatibility" or "jvmToolchain".
	JavaVersionFrom   string `json:"java_version_from"`
	SpringBoot        bool   `json:"spring_boot"`
	SpringBootVersion string `json:"spring_boot_version"`
	// GroupID and ArtifactID identify a Maven project.
	GroupID    string `json:"group_id"`
	ArtifactID string `json:"artifact_id"`
}

func collectJava(r *repo) (any, string) {
	fact := r.javaBuild()
	if fact == nil {
		return nil, ""
	}
	return *fact, fact.BuildFile
}

// javaBuild reads the root build file once per Collect; the java and tests
// collectors both use it. A malformed pom.xml is reported once and yields nil.
func (r *repo) javaBuild() *JavaFact {
	if r.javaDone {
		return r.java
	}
	r.javaDone = true
	if r.has("pom.xml") {
		content, ok := r.read("pom.xml")
		if !ok {
			return nil
		}
		r.java = parsePOM(r, content)
		return r.java
	}
	path := r.first("build.gradle.kts", "build.gradle", "settings.gradle.kts", "settings.gradle")
	if path == "" {
		return nil
	}
	content, ok := r.read(path)
	if !ok {
		return nil
	}
	fact := &JavaFact{BuildTool: "gradle", BuildFile: path}
	gradleJava(fact, string(content))
	r.java = fact
	return fact
}

// pom is the part of a Maven POM paved reads.
type pom struct {
	GroupID    string `xml:"groupId"`
	ArtifactID string `xml:"artifactId"`
	Parent     struct {
		GroupID    string `xml:"groupId"`
		ArtifactID string `xml:"artifactId"`
		Version    string `xml:"version"`
	} `xml:"parent"`
	Properties struct {
		Entries []struct {
			XMLName xml.Name
			Value   string `xml:",chardata"`
		} `xml:",any"`
	} `xml:"properties"`
	Dependencies []pomArtifact `xml:"dependencies>dependency"`
	Managed      []pomArtifact `xml:"dependencyManagement>dependencies>dependency"`
	Plugins      []pomPlugin   `xml:"build>plugins>plugin"`
	PluginMgmt   []pomPlugin   `xml:"build>pluginManagement>plugins>plugin"`
}

type pomArtifact struct {
	GroupID    string `xml:"groupId"`
	ArtifactID string `xml:"artifactId"`
	Version    string `xml:"version"`
}

type pomPlugin struct {
	pomArtifact
	Configuration struct {
		Release string `xml:"release"`
		Source  string `xml:"source"`
	} `xml:"configuration"`
}

func parsePOM(r *repo, content []byte) *JavaFact {
	var p pom
	dec := xml.NewDecoder(bytes.NewReader(content))
	// POMs declare their encoding; the fields paved reads are ASCII, so any
	// declared charset can be read as UTF-8.
	dec.CharsetReader = func(_ string, in io.Reader) (io.Reader, error) { return in, nil }
	if err := dec.Decode(&p); err != nil {
		line := 0
		var syn *xml.SyntaxError
		if errors.As(err, &syn) {
			line = syn.Line
		}
		r.problem(ProblemInvalidFile, "pom.xml", line, "pom.xml is not valid XML: "+err.Error())
		return nil
	}
	props := make(map[string]string, len(p.Properties.Entries))
	for _, e := range p.Properties.Entries {
		props[e.XMLName.Local] = strings.TrimSpace(e.Value)
	}
	resolve := func(v string) string {
		v = strings.TrimSpace(v)
		// ${java.version} and the like, one level deep, as POMs use them.
		if name, ok := strings.CutPrefix(v, "${"); ok && strings.HasSuffix(name, "}") {
			if pv, ok := props[strings.TrimSuffix(name, "}")]; ok && !strings.Contains(pv, "${") {
				return pv
			}
		}
		return v
	}
	fact := &JavaFact{BuildTool: "maven", BuildFile: "pom.xml", GroupID: p.GroupID, ArtifactID: p.ArtifactID}
	if fact.GroupID == "" {
		fact.GroupID = p.Parent.GroupID
	}

	var compiler *pomPlugin
	for i := range p.Plugins {
		if p.Plugins[i].ArtifactID == "maven-compiler-plugin" {
			compiler = &p.Plugins[i]
		}
	}
	if compiler == nil {
		for i := range p.PluginMgmt {
			if p.PluginMgmt[i].ArtifactID == "maven-compiler-plugin" {
				compiler = &p.PluginMgmt[i]
			}
		}
	}
	// The compiler's release wins over source, as it does in javac; an
	// explicit plugin setting wins over the property it defaults from.
	switch {
	case compiler != nil && compiler.Configuration.Release != "":
		fact.JavaVersion, fact.JavaVersionFrom = resolve(compiler.Configuration.Release), "maven-compiler-plugin"
	case props["maven.compiler.release"] != "":
		fact.JavaVersion, fact.JavaVersionFrom = resolve(props["maven.compiler.release"]), "maven.compiler.release"
	case compiler != nil && compiler.Configuration.Source != "":
		fact.JavaVersion, fact.JavaVersionFrom = resolve(compiler.Configuration.Source), "maven-compiler-plugin"
	case props["maven.compiler.source"] != "":
		fact.JavaVersion, fact.JavaVersionFrom = resolve(props["maven.compiler.source"]), "maven.compiler.source"
	case props["java.version"] != "":
		fact.JavaVersion, fact.JavaVersionFrom = resolve(props["java.version"]), "java.version"
	}
	if strings.Contains(fact.JavaVersion, "${") {
		fact.JavaVersion = ""
		fact.JavaVersionFrom = ""
	}

	// Spring Boot comes in as the parent, an imported BOM, a starter or the
	// plugin; the version is the first of those that states one.
	if p.Parent.GroupID == "org.springframework.boot" {
		fact.SpringBoot, fact.SpringBootVersion = true, resolve(p.Parent.Version)
	}
	for _, list := range [...][]pomArtifact{p.Managed, p.Dependencies, pluginArtifacts(p.Plugins)} {
		for _, a := range list {
			if a.GroupID != "org.springframework.boot" {
				continue
			}
			fact.SpringBoot = true
			if fact.SpringBootVersion == "" && a.Version != "" {
				fact.SpringBootVersion = resolve(a.Version)
			}
		}
	}
	if fact.SpringBoot && (fact.SpringBootVersion == "" || strings.Contains(fact.SpringBootVersion, "${")) {
		fact.SpringBootVersion = props["spring-boot.version"]
	}
	return fact
}

func pluginArtifacts(plugins []pomPlugin) []pomArtifact {
	out := make([]pomArtifact, len(plugins))
	for i, p := range plugins {
		out[i] = p.pomArtifact
	}
	return out
}

// gradleJava finds the Java version and Spring Boot in a Gradle build,
// Groovy or Kotlin DSL, by the few spellings builds use. Gradle files are
// programs, so this reads what is stated literally and nothing computed.
func gradleJava(fact *JavaFact, src string) {
	// A toolchain is what Gradle compiles with, so it wins.
	if v := gradleCallArg(src, "JavaLanguageVersion.of("); v != "" {
		fact.JavaVersion, fact.JavaVersionFrom = v, "toolchain"
	} else if v := gradleCallArg(src, "jvmToolchain("); v != "" {
		fact.JavaVersion, fact.JavaVersionFrom = v, "jvmToolchain"
	} else if v := gradleAssigned(src, "sourceCompatibility"); v != "" {
		fact.JavaVersion, fact.JavaVersionFrom = v, "sourceCompatibility"
	} else if v := gradleAssigned(src, "targetCompatibility"); v != "" {
		fact.JavaVersion, fact.JavaVersionFrom = v, "targetCompatibility"
	}
	if i := strings.Index(src, "org.springframework.boot"); i >= 0 {
		fact.SpringBoot = true
		// id 'org.springframework.boot' version '3.2.0', or
		// id("org.springframework.boot") version "3.2.0", on one line.
		line := src[i:]
		if j := strings.IndexByte(line, '\n'); j >= 0 {
			line = line[:j]
		}
		if _, after, ok := strings.Cut(line, "version"); ok {
			fact.SpringBootVersion = quoted(after)
		}
	}
}

// gradleCallArg returns the literal argument of the first call that starts
// with call, e.g. JavaLanguageVersion.of(17) → "17".
func gradleCallArg(src, call string) string {
	i := strings.Index(src, call)
	if i < 0 {
		return ""
	}
	rest := src[i+len(call):]
	j := strings.IndexByte(rest, ')')
	if j < 0 {
		return ""
	}
	return javaVersionLiteral(rest[:j])
}

// gradleAssigned returns the literal value assigned to name:
// sourceCompatibility = JavaVersion.VERSION_17, = '17', = "1.8", = 17.
func gradleAssigned(src, name string) string {
	for rest := src; ; {
		i := strings.Index(rest, name)
		if i < 0 {
			return ""
		}
		rest = rest[i+len(name):]
		v := strings.TrimLeft(rest, " \t")
		if !strings.HasPrefix(v, "=") {
			continue
		}
		v = strings.TrimLeft(v[1:], " \t")
		if j := strings.IndexAny(v, "\n;"); j >= 0 {
			v = v[:j]
		}
		if lit := javaVersionLiteral(v); lit != "" {
			return lit
		}
	}
}

// javaVersionLiteral normalises how Gradle builds write a Java version:
// 17, '17', "1.8", JavaVersion.VERSION_1_8, JavaVersion.toVersion("11").
func javaVersionLiteral(s string) string {
	s = strings.TrimSpace(s)
	if v, ok := strings.CutPrefix(s, "JavaVersion.VERSION_"); ok {
		end := 0
		for end < len(v) && (v[end] == '_' || ('0' <= v[end] && v[end] <= '9')) {
			end++
		}
		return strings.ReplaceAll(v[:end], "_", ".")
	}
	if v, ok := strings.CutPrefix(s, "JavaVersion.toVersion("); ok {
		s = strings.TrimSuffix(v, ")")
	}
	s = strings.Trim(strings.TrimSpace(s), `'"`)
	if s == "" || s[0] < '0' || s[0] > '9' {
		return ""
	}
	for i := 0; i < len(s); i++ {
		if s[i] != '.' && (s[i] < '0' || s[i] > '9') {
			return ""
		}
	}
	return s
}

// quoted returns the first single- or double-quoted string in s.
func quoted(s string) string {
	i := strings.IndexAny(s, `'"`)
	if i < 0 {
		return ""
	}
	q := s[i]
	rest := s[i+1:]
	j := strings.IndexByte(rest, q)
	if j < 0 {
		return ""
	}
	return rest[:j]
}
