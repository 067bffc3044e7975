package facts

import (
	"strings"
)

// CIFact is the "ci" namespace: which CI systems the repository uses, what
// its GitHub Actions workflows and GitLab pipeline contain, and whether it
// runs the platform's golden pipeline.
type CIFact struct {
	// Providers are the CI systems configured: "github-actions",
	// "gitlab-ci", and by file presence only "jenkins", "circleci",
	// "azure-pipelines", "bitbucket-pipelines", "travis", "drone",
	// "buildkite".
	Providers []string   `json:"providers"`
	Workflows []Workflow `json:"workflows"`
	GitLab    *GitLabCI  `json:"gitlab,omitempty"` // present when .gitlab-ci.yml parsed
	// Uses is the sorted set of every `uses:` in the workflows, jobs'
	// reusable workflows and steps' actions alike ("actions/checkout@v4").
	Uses []string `json:"uses"`
	// Golden is true when a workflow job calls a reusable workflow from a
	// repository named golden-ci (".../golden-ci/.github/workflows/...") or
	// the GitLab pipeline includes a project or component named golden-ci.
	// GoldenRef is the ref it pins ("v3"), GoldenFile where it was found.
	Golden     bool   `json:"golden"`
	GoldenRef  string `json:"golden_ref"`
	GoldenFile string `json:"golden_file"`
}

// Workflow is one GitHub Actions workflow file.
type Workflow struct {
	File     string        `json:"file"`
	Name     string        `json:"name"`
	Triggers []string      `json:"triggers"` // event names: push, pull_request, workflow_call, …
	Jobs     []WorkflowJob `json:"jobs"`
}

// WorkflowJob is one job of a workflow.
type WorkflowJob struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Uses   string `json:"uses"`    // the reusable workflow a job calls
	RunsOn string `json:"runs_on"` // as written; lists are joined with ","
	// Steps are the actions the job's steps use, in order; steps that only
	// run commands are counted in StepCount but not listed.
	Steps     []string `json:"steps"`
	StepCount int      `json:"step_count"`
	Line      int      `json:"line"`
}

// GitLabCI is the root .gitlab-ci.yml.
type GitLabCI struct {
	File     string          `json:"file"`
	Stages   []string        `json:"stages"`
	Jobs     []GitLabJob     `json:"jobs"` // hidden jobs (".name") included
	Includes []GitLabInclude `json:"includes"`
}

// GitLabJob is one job (or hidden template job) of a GitLab pipeline.
type GitLabJob struct {
	Name    string   `json:"name"`
	Stage   string   `json:"stage"`
	Extends []string `json:"extends"`
	Line    int      `json:"line"`
}

// GitLabInclude is one include: entry.
type GitLabInclude struct {
	// Kind is local, project, remote, template or component.
	Kind  string   `json:"kind"`
	Value string   `json:"value"` // the path, project, URL, template or component
	Ref   string   `json:"ref"`
	Files []string `json:"files"` // file: of a project include
	Line  int      `json:"line"`
}

// otherCI are CI systems recognised by their configuration file alone.
var otherCI = [...]struct{ file, provider string }{
	{"Jenkinsfile", "jenkins"},
	{".circleci/config.yml", "circleci"},
	{".circleci/config.yaml", "circleci"},
	{"azure-pipelines.yml", "azure-pipelines"},
	{"azure-pipelines.yaml", "azure-pipelines"},
	{"bitbucket-pipelines.yml", "bitbucket-pipelines"},
	{".travis.yml", "travis"},
	{".drone.yml", "drone"},
	{".buildkite/pipeline.yml", "buildkite"},
}

// goldenWorkflowPath marks a reusable workflow of the golden pipeline.
const goldenWorkflowPath = "/golden-ci/.github/workflows/"

func collectCI(r *repo) (any, string) {
	fact := CIFact{Providers: []string{}, Workflows: []Workflow{}, Uses: []string{}}
	var sources []string
	for _, f := range r.under(".github/workflows") {
		dir, base := splitPath(f.Path)
		if dir != ".github/workflows" || !(strings.HasSuffix(base, ".yml") || strings.HasSuffix(base, ".yaml")) {
			continue
		}
		sources = append(sources, f.Path)
		content, ok := r.read(f.Path)
		if !ok {
			continue
		}
		doc, ok := parseYAML(r, f.Path, content)
		if !ok {
			continue
		}
		wf := githubWorkflow(f.Path, doc)
		for _, job := range wf.Jobs {
			if job.Uses != "" {
				fact.Uses = append(fact.Uses, job.Uses)
				if ref, ok := goldenRef(job.Uses); ok && !fact.Golden {
					fact.Golden, fact.GoldenRef, fact.GoldenFile = true, ref, f.Path
				}
			}
			fact.Uses = append(fact.Uses, job.Steps...)
		}
		fact.Workflows = append(fact.Workflows, wf)
	}
	if len(sources) > 0 {
		fact.Providers = append(fact.Providers, "github-actions")
	}
	if r.has(".gitlab-ci.yml") {
		sources = append(sources, ".gitlab-ci.yml")
		fact.Providers = append(fact.Providers, "gitlab-ci")
		if content, ok := r.read(".gitlab-ci.yml"); ok {
			if doc, ok := parseYAML(r, ".gitlab-ci.yml", content); ok {
				gl := gitlabPipeline(".gitlab-ci.yml", doc)
				fact.GitLab = &gl
				for _, inc := range gl.Includes {
					if ref, ok := gitlabGolden(inc); ok && !fact.Golden {
						fact.Golden, fact.GoldenRef, fact.GoldenFile = true, ref, gl.File
					}
				}
			}
		}
	}
	for _, o := range otherCI {
		if r.has(o.file) {
			sources = append(sources, o.file)
			fact.Providers = append(fact.Providers, o.provider)
		}
	}
	if len(fact.Providers) == 0 {
		return nil, ""
	}
	fact.Providers = sortedSet(fact.Providers)
	fact.Uses = sortedSet(fact.Uses)
	return fact, strings.Join(sources, ", ")
}

// goldenRef reports whether uses calls the golden pipeline's reusable
// workflow, and the ref it pins: "acme/golden-ci/.github/workflows/go.yml@v3"
// → "v3".
func goldenRef(uses string) (string, bool) {
	if !strings.Contains(uses, goldenWorkflowPath) {
		return "", false
	}
	_, ref, _ := strings.Cut(uses, "@")
	return ref, true
}

// gitlabGolden reports whether an include brings in the golden pipeline: a
// project ending in /golden-ci, or a CI/CD component from such a project.
func gitlabGolden(inc GitLabInclude) (string, bool) {
	switch inc.Kind {
	case "project":
		v := strings.TrimSuffix(inc.Value, "/")
		if v == "golden-ci" || strings.HasSuffix(v, "/golden-ci") {
			return inc.Ref, true
		}
	case "component":
		path, ref, _ := strings.Cut(inc.Value, "@")
		if strings.Contains(path, "/golden-ci/") {
			return ref, true
		}
	}
	return "", false
}

func githubWorkflow(file string, doc *yamlNode) Workflow {
	wf := Workflow{File: file, Triggers: []string{}, Jobs: []WorkflowJob{}}
	wf.Name, _ = doc.get("name").text()
	// on: push | [push, pull_request] | {push: {...}, workflow_dispatch: }
	if on := doc.get("on"); on != nil {
		wf.Triggers = append(wf.Triggers, on.texts()...)
		if on.kind == yamlMap {
			for _, ev := range on.pairs {
				wf.Triggers = append(wf.Triggers, ev.key)
			}
		}
	}
	if jobs := doc.get("jobs"); jobs != nil && jobs.kind == yamlMap {
		for _, j := range jobs.pairs {
			wf.Jobs = append(wf.Jobs, githubJob(j))
		}
	}
	wf.Triggers = sortedSet(wf.Triggers)
	return wf
}

func githubJob(j yamlPair) WorkflowJob {
	job := WorkflowJob{ID: j.key, Steps: []string{}, Line: j.line}
	job.Name, _ = j.val.get("name").text()
	job.Uses, _ = j.val.get("uses").text()
	job.RunsOn = strings.Join(j.val.get("runs-on").texts(), ",")
	if steps := j.val.get("steps"); steps != nil && steps.kind == yamlSeq {
		for _, step := range steps.items {
			job.StepCount++
			if uses, ok := step.get("uses").text(); ok && uses != "" {
				job.Steps = append(job.Steps, uses)
			}
		}
	}
	return job
}

// gitlabKeywords are the top-level keys of .gitlab-ci.yml that are not jobs.
var gitlabKeywords = map[string]bool{
	"default": true, "include": true, "stages": true, "variables": true, "workflow": true,
	"image": true, "services": true, "cache": true, "before_script": true, "after_script": true,
	"spec": true, "<<": true, "": true,
}

func gitlabPipeline(file string, doc *yamlNode) GitLabCI {
	gl := GitLabCI{File: file, Stages: []string{}, Jobs: []GitLabJob{}, Includes: []GitLabInclude{}}
	gl.Stages = append(gl.Stages, doc.get("stages").texts()...)
	if inc := doc.get("include"); inc != nil {
		gl.Includes = gitlabIncludes(inc)
	}
	if doc.kind != yamlMap {
		return gl
	}
	for _, kv := range doc.pairs {
		if gitlabKeywords[kv.key] || kv.val.kind != yamlMap {
			continue
		}
		job := GitLabJob{Name: kv.key, Line: kv.line, Extends: orEmpty(kv.val.get("extends").texts())}
		job.Stage, _ = kv.val.get("stage").text()
		gl.Jobs = append(gl.Jobs, job)
	}
	return gl
}

// gitlabIncludes reads include: in its three shapes: a string, a mapping,
// or a list of either.
func gitlabIncludes(n *yamlNode) []GitLabInclude {
	items := []*yamlNode{n}
	if n.kind == yamlSeq {
		items = n.items
	}
	out := []GitLabInclude{}
	for _, item := range items {
		if s, ok := item.text(); ok {
			kind := "local"
			if strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://") {
				kind = "remote"
			}
			out = append(out, GitLabInclude{Kind: kind, Value: s, Line: item.line, Files: []string{}})
			continue
		}
		if item.kind != yamlMap {
			continue
		}
		inc := GitLabInclude{Line: item.line, Files: []string{}}
		for _, f := range item.pairs {
			switch f.key {
			case "local", "project", "remote", "template", "component":
				inc.Kind = f.key
				inc.Value, _ = f.val.text()
			case "ref":
				inc.Ref, _ = f.val.text()
			case "file":
				inc.Files = orEmpty(f.val.texts())
			}
		}
		if inc.Kind != "" {
			out = append(out, inc)
		}
	}
	return out
}

// orEmpty makes a nil list empty, so that it encodes as [] for checks.
func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
