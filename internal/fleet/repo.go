package fleet

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// fileVersion is one version of one file. Files with the same topic arrive in
// the same commit; the empty topic is the first commit.
type fileVersion struct {
	path  string
	data  []byte
	exec  bool
	topic string
	stage int // the commit (0-based) that writes this version; set by history
}

type commitSpec struct {
	message string
	author  *user
	when    time.Time
}

// repoContent is everything needed to write one repository.
type repoContent struct {
	dir     string // directory name under Out
	branch  string
	files   []fileVersion
	commits []commitSpec
}

// result is what generating one repository reports back.
type result struct {
	repo  Repo
	flaky *Flaky
}

// builder accumulates one repository's files and what is known about them.
type builder struct {
	r     rnd
	p     *plan
	rp    *repoPlan
	info  Repo
	files []fileVersion
	flaky *Flaky

	// Facts the language generator leaves for the shared files.
	testCmd   string // how the project runs its tests
	buildCmd  string
	makefile  bool
	goMain    string // Go: the main package, "." or "./cmd/<name>"
	javaTool  string // Java: maven or gradle
	pyModule  string // Python: the import name
	port      int
	hasDocs   bool
	summaryMD string // one sentence about the repository
}

func (b *builder) add(path, topic, data string) {
	b.files = append(b.files, fileVersion{path: path, data: []byte(data), topic: topic})
}

func (b *builder) addExec(path, topic, data string) {
	b.files = append(b.files, fileVersion{path: path, data: []byte(data), topic: topic, exec: true})
}

// buildRepo generates one service or library repository.
func buildRepo(p *plan, rp *repoPlan) (*repoContent, result) {
	b := &builder{r: newRnd(rp.seed, uint64(p.seed)), p: p, rp: rp}
	b.info = Repo{
		Name:          rp.name,
		Language:      rp.lang,
		Kind:          rp.kind,
		Team:          rp.team.name,
		DefaultBranch: rp.branch,
		IOUtil:        rp.ioutil,
		IOUtilReadDir: rp.readDir,
		Flaky:         rp.flaky,
		CI:            CINone,
	}
	b.port = []int{8080, 8080, 8080, 3000, 8000, 9090}[b.r.IntN(6)]
	noun := strings.SplitN(rp.name, "-", 2)[0]
	if rp.kind == kindService {
		b.summaryMD = fmt.Sprintf("The %s service for the %s domain, owned by %s.", rp.name, noun, rp.team.display)
	} else {
		b.summaryMD = fmt.Sprintf("Shared %s library for %s, maintained by %s.", langTitle(rp.lang), noun, rp.team.display)
	}

	switch rp.lang {
	case langGo:
		b.goFiles()
	case langJava:
		b.javaFiles()
	case langPython:
		b.pythonFiles()
	case langNode:
		b.nodeFiles()
	}
	b.add(".gitignore", "", gitignore(rp.lang))
	if b.r.chance(0.35) {
		b.makefileFor()
	}
	if rp.kind == kindService && b.r.chance(0.92) {
		b.dockerfile()
	}
	b.ci()
	b.codeowners()
	b.hasDocs = b.r.chance(0.3)
	if rp.descriptor {
		b.descriptor()
	}
	if b.hasDocs {
		b.docs()
	}
	if b.r.chance(0.4) {
		b.license()
	}
	if b.r.chance(0.2) {
		b.addExec("scripts/dev.sh", "scripts", fmt.Sprintf("#!/usr/bin/env bash\n# Runs %s locally with the settings CI uses.\nset -euo pipefail\ncd \"$(dirname \"$0\")/..\"\nexport PORT=\"${PORT:-%d}\"\n%s\n", b.rp.name, b.port, b.testCmd))
	}
	readme := b.r.chance(0.9)
	if readme {
		b.add("README.md", "", b.readme(false))
		b.add("README.md", "readme", b.readme(true))
	}

	rc := &repoContent{dir: rp.name, branch: rp.branch}
	if p.bare {
		rc.dir += ".git"
	}
	b.info.Path = rc.dir
	rc.files, rc.commits = history(b.r, p, rp, b.files, b.r.weighted(15, 20, 20, 20, 15, 10)+1)
	return rc, result{repo: b.info, flaky: b.flaky}
}

func langTitle(lang string) string {
	switch lang {
	case langGo:
		return "Go"
	case langJava:
		return "Java"
	case langPython:
		return "Python"
	case langNode:
		return "Node.js"
	}
	return lang
}

// history spreads the files over up to n commits by topic and dates the
// commits over the ~200 days before now; about 60% of repositories have
// their last commit in the last 90 days.
func history(r rnd, p *plan, rp *repoPlan, files []fileVersion, n int) ([]fileVersion, []commitSpec) {
	var topics []string
	seen := map[string]bool{"": true}
	for _, f := range files {
		if !seen[f.topic] {
			seen[f.topic] = true
			topics = append(topics, f.topic)
		}
	}
	n = min(n, len(topics)+1)
	r.Shuffle(len(topics), func(i, j int) { topics[i], topics[j] = topics[j], topics[i] })
	stageOf := map[string]int{"": 0}
	for i, t := range topics {
		if i < n-1 {
			stageOf[t] = i + 1 // every later commit gets at least one topic
		} else {
			stageOf[t] = r.IntN(n)
		}
	}
	for i := range files {
		files[i].stage = stageOf[files[i].topic]
	}
	// Sorting by stage (stable, so later versions of a path stay later)
	// lets the writer build each commit's tree in one pass.
	sort.SliceStable(files, func(i, j int) bool { return files[i].stage < files[j].stage })
	// A version replaced within its own commit would be a dangling blob.
	kept := files[:0]
	for i, f := range files {
		if i+1 < len(files) && supersededInStage(files[i+1:], f) {
			continue
		}
		kept = append(kept, f)
	}
	files = kept

	byStage := make([][]string, n)
	for _, t := range topics {
		byStage[stageOf[t]] = append(byStage[stageOf[t]], t)
	}

	// Ages in seconds before now: the newest first.
	const day = 24 * 60 * 60
	newest := r.IntN(90 * day)
	if r.chance(0.4) {
		newest = 90*day + r.IntN(110*day)
	}
	ages := make([]int, n)
	ages[0] = newest
	for i := 1; i < n; i++ {
		ages[i] = newest + 60 + r.IntN(200*day-newest)
	}
	sort.Sort(sort.Reverse(sort.IntSlice(ages))) // oldest first
	for i := 1; i < n; i++ {
		if ages[i] >= ages[i-1] {
			ages[i] = ages[i-1] - 1 // strictly increasing commit times
		}
	}

	commits := make([]commitSpec, n)
	for i := range commits {
		author := rp.team.members[r.IntN(len(rp.team.members))]
		if r.chance(0.15) {
			author = p.org.users[r.IntN(len(p.org.users))]
		}
		commits[i] = commitSpec{
			author:  author,
			when:    p.now.Add(-time.Duration(ages[i]) * time.Second),
			message: commitMessage(r, rp, i, byStage[i]),
		}
	}
	return files, commits
}

func supersededInStage(later []fileVersion, f fileVersion) bool {
	for _, g := range later {
		if g.stage != f.stage {
			return false
		}
		if g.path == f.path {
			return true
		}
	}
	return false
}

func commitMessage(r rnd, rp *repoPlan, i int, topics []string) string {
	if i == 0 {
		first := []string{
			"Initial commit",
			"Initial import",
			fmt.Sprintf("Scaffold %s from the %s template", rp.name, rp.kind),
			fmt.Sprintf("Import %s from the monorepo", rp.name),
		}
		msg := r.pick(first)
		if len(topics) > 0 {
			msg += "\n\nIncludes: " + strings.Join(topics, ", ") + "."
		}
		return msg
	}
	var parts []string
	for _, t := range topics {
		parts = append(parts, topicMessage(r, t))
	}
	msg := parts[0]
	if len(parts) > 1 {
		msg += "\n\nAlso:\n"
		for _, p := range parts[1:] {
			msg += "- " + p + "\n"
		}
		msg = strings.TrimSuffix(msg, "\n")
	}
	return msg
}

func topicMessage(r rnd, topic string) string {
	var options []string
	switch topic {
	case "docker":
		options = []string{"Add Dockerfile", "Containerize the service", "Build a container image"}
	case "ci":
		options = []string{"Add CI pipeline", "Set up continuous integration", "Run tests in CI"}
	case "catalog":
		options = []string{"Add catalog-info.yaml", "Register in the service catalog", "Describe the component for Backstage"}
	case "codeowners":
		options = []string{"Add CODEOWNERS", "Define code owners"}
	case "docs":
		options = []string{"Add docs", "Write architecture notes", "Document the runbook"}
	case "license":
		options = []string{"Add LICENSE"}
	case "readme":
		options = []string{"Update README", "Expand the README", "Document local development"}
	case "scripts":
		options = []string{"Add a dev script", "Script the local test run"}
	case "users":
		options = []string{"Add users", "Onboard new hires", "Sync users from the HR system"}
	case "make":
		options = []string{"Add Makefile", "Add make targets for build and test"}
	default:
		options = []string{"Update " + topic}
	}
	return r.pick(options)
}

func gitignore(lang string) string {
	common := ".DS_Store\n.idea/\n.vscode/\n*.log\n"
	switch lang {
	case langGo:
		return "/bin/\n/dist/\n*.test\ncoverage.out\n" + common
	case langJava:
		return "target/\nbuild/\n.gradle/\n*.class\n" + common
	case langPython:
		return "__pycache__/\n*.pyc\n.venv/\n.pytest_cache/\ndist/\n*.egg-info/\n" + common
	case langNode:
		return "node_modules/\ncoverage/\ndist/\nnpm-debug.log*\n" + common
	}
	return common
}

func (b *builder) makefileFor() {
	b.makefile = true
	var sb strings.Builder
	sb.WriteString(".PHONY: build test lint\n\n")
	fmt.Fprintf(&sb, "build:\n\t%s\n\n", b.buildCmd)
	fmt.Fprintf(&sb, "test:\n\t%s\n", b.testCmd)
	switch b.rp.lang {
	case langGo:
		sb.WriteString("\nlint:\n\tgo vet ./...\n")
	case langNode:
		sb.WriteString("\nlint:\n\tnpx eslint .\n")
	case langPython:
		sb.WriteString("\nlint:\n\truff check .\n")
	default:
		sb.WriteString("\nlint:\n\t@echo \"no linter configured\"\n")
	}
	b.add("Makefile", "make", sb.String())
}

func (b *builder) codeowners() {
	if !b.r.chance(0.85) {
		return
	}
	path := "CODEOWNERS"
	if b.r.chance(0.5) {
		path = ".github/CODEOWNERS"
	}
	b.info.Codeowners = path
	header := []string{
		"# Code owners are requested for review automatically.",
		"# See https://docs.github.com/articles/about-code-owners",
		fmt.Sprintf("# Maintained by %s.", b.rp.team.display),
		"#",
	}
	n := b.r.between(1, 4) // the * rule lands on line 2–5
	var sb strings.Builder
	for _, line := range header[:n] {
		sb.WriteString(line + "\n")
	}
	fmt.Fprintf(&sb, "* @%s/%s\n", company, b.rp.team.name)
	if b.r.chance(0.3) {
		sb.WriteString("\n")
		if b.r.chance(0.5) {
			fmt.Fprintf(&sb, "/docs/ @%s/%s @%s/tech-writers\n", company, b.rp.team.name, company)
		}
		if b.r.chance(0.5) {
			fmt.Fprintf(&sb, "/.github/ @%s/%s\n", company, b.p.org.teams[0].name)
		}
		if b.r.chance(0.5) {
			other := b.p.org.teams[b.r.IntN(len(b.p.org.teams))]
			fmt.Fprintf(&sb, "*.sql @%s/%s\n", company, other.name)
		}
	}
	b.add(path, "codeowners", sb.String())
}

func (b *builder) docs() {
	name := b.rp.name
	b.add("docs/index.md", "docs", fmt.Sprintf("# %s\n\n%s\n\n## Architecture\n\n%s keeps its state behind one interface so it can be tested without the network.\n\n## Runbook\n\n- Dashboards: https://grafana.%s/d/%s\n- On-call: %s\n", name, b.summaryMD, name, emailDomain, name, b.rp.team.display))
	if b.r.chance(0.5) {
		b.add("mkdocs.yml", "docs", fmt.Sprintf("site_name: %s\nnav:\n  - Home: index.md\nplugins:\n  - techdocs-core\n", name))
	}
	if b.r.chance(0.4) {
		b.add("docs/adr/0001-record-architecture-decisions.md", "docs", "# 1. Record architecture decisions\n\nStatus: accepted\n\nWe record significant decisions as ADRs in this directory.\n")
	}
}

func (b *builder) license() {
	year := b.p.now.Year() - b.r.IntN(6)
	if b.r.chance(0.7) {
		b.add("LICENSE", "license", fmt.Sprintf("Copyright (c) %d Acme Corporation. All rights reserved.\n\nThis software is proprietary and confidential. Unauthorized copying of this\nrepository, via any medium, is strictly prohibited.\n", year))
		return
	}
	b.add("LICENSE", "license", fmt.Sprintf(`MIT License

Copyright (c) %d Acme Corporation

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
`, year))
}

// readme writes the first README (short) or the expanded one a later commit
// brings.
func (b *builder) readme(full bool) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "# %s\n\n%s\n", b.rp.name, b.summaryMD)
	if !full {
		return sb.String()
	}
	sb.WriteString("\n## Development\n\n")
	if b.makefile {
		sb.WriteString("```sh\nmake build\nmake test\n```\n")
	} else {
		fmt.Fprintf(&sb, "```sh\n%s\n%s\n```\n", b.buildCmd, b.testCmd)
	}
	if b.rp.kind == kindService {
		fmt.Fprintf(&sb, "\nThe service listens on port %d (override with `PORT`).\n", b.port)
	}
	if b.hasDocs {
		sb.WriteString("\nMore in [docs/](docs/index.md).\n")
	}
	fmt.Fprintf(&sb, "\n## Ownership\n\nOwned by **%s** (`@%s/%s`). Questions go to #%s on Slack.\n", b.rp.team.display, company, b.rp.team.name, b.rp.team.name)
	return sb.String()
}
