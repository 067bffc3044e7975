package recipe

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"text/template"
	"time"
)

//go:embed templates/*.tmpl
var builtinTemplates embed.FS

// builtinTemplate is a template add-file ships, with the values it needs
// from the step's `values:`.
type builtinTemplate struct {
	file     string
	required []string
	doc      string
}

var templateNames = map[string]builtinTemplate{
	"codeowners":   {file: "codeowners.tmpl", required: []string{"github_org"}, doc: "CODEOWNERS giving the owning team (@<github_org>/<owner name>) every path"},
	"catalog-info": {file: "catalog-info.tmpl", doc: "a Backstage Component descriptor with the service's name, owner, lifecycle, system and tier"},
	"golden-ci":    {file: "golden-ci.tmpl", required: []string{"golden_repo", "ref"}, doc: "a GitHub Actions workflow calling the golden CI reusable workflow"},
}

// addFileStep is the add-file builtin.
type addFileStep struct {
	path      string
	tmpl      *template.Template
	name      string // the built-in template's name, if any
	values    map[string]any
	overwrite bool
}

func compileAddFile(p *params) stepper {
	s := addFileStep{}
	s.path = p.str("path", true, "the file to add, e.g. CODEOWNERS")
	text := p.str("template", false, "the file's content as a Go text/template")
	s.name = p.str("template_name", false, "one of "+strings.Join(sortedTemplateNames(), ", "))
	s.overwrite = p.boolean("overwrite")
	if v, ok := p.get("values"); ok {
		m, ok := toStringMap(v)
		if !ok {
			p.fail("values", "must be a map of names to values, available to the template as .Values")
			return nil
		}
		s.values = m
	}
	if p.err != nil {
		return nil
	}
	rel := strings.TrimPrefix(s.path, "./")
	if rel == "" || strings.HasPrefix(rel, "/") || !fs.ValidPath(rel) || isGlob(rel) {
		p.fail("path", "%q is not a relative file path inside the repository", s.path)
		return nil
	}
	s.path = rel
	switch {
	case text != "" && s.name != "":
		p.fail("template", "give template or template_name, not both")
		return nil
	case text == "" && s.name == "":
		p.fail("template", "required: the content as a text/template, or template_name: one of %s", strings.Join(sortedTemplateNames(), ", "))
		return nil
	case s.name != "":
		bt, ok := templateNames[s.name]
		if !ok {
			p.fail("template_name", "%q is not a built-in template (known: %s)", s.name, strings.Join(sortedTemplateNames(), ", "))
			return nil
		}
		for _, r := range bt.required {
			if v, ok := s.values[r]; !ok || fmt.Sprint(v) == "" {
				p.fail("values."+r, "required by the %s template", s.name)
				return nil
			}
		}
		data, err := builtinTemplates.ReadFile("templates/" + bt.file)
		if err != nil {
			p.fail("template_name", "%v", err)
			return nil
		}
		text = string(data)
	}
	s.tmpl = template.New(path.Base(s.path)).Option("missingkey=error")
	s.tmpl.Funcs(templateFuncs(nil, nil))
	if _, err := s.tmpl.Parse(text); err != nil {
		p.fail(map[bool]string{true: "template_name", false: "template"}[s.name != ""], "%v", err)
		return nil
	}
	return s
}

func sortedTemplateNames() []string {
	var out []string
	for n := range templateNames {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func toStringMap(v any) (map[string]any, bool) {
	switch m := v.(type) {
	case map[string]any:
		return m, true
	case map[any]any:
		out := map[string]any{}
		for k, x := range m {
			ks, ok := k.(string)
			if !ok {
				return nil, false
			}
			out[ks] = x
		}
		return out, true
	}
	return nil, false
}

// templateData is what a template sees: the Vars, and .Values.
type templateData struct {
	Vars
	Values map[string]any
}

// templateFuncs are the functions templates may call:
//
//	yaml s        s as a YAML scalar, quoted when needed
//	required n s  s, or an error naming n when s is empty
//	lower, upper  case
//	value n       .Values[n], or "" when it is not set
//	fact a.b.c    the fact at that path, or "" when there is none
//	ciLanguage    values.language, else the primary language as golden-ci names it
func templateFuncs(values, facts map[string]any) template.FuncMap {
	value := func(name string) string {
		if v, ok := values[name]; ok && v != nil {
			return fmt.Sprint(v)
		}
		return ""
	}
	fact := func(p string) string {
		v, ok := lookupFact(facts, p)
		if !ok || v == nil {
			return ""
		}
		return fmt.Sprint(v)
	}
	return template.FuncMap{
		"yaml": func(v any) string { return renderScalar(v, 0, true) },
		"required": func(name string, v any) (any, error) {
			if v == nil || fmt.Sprint(v) == "" {
				return nil, fmt.Errorf("%s is required but empty for this service", name)
			}
			return v, nil
		},
		"lower": strings.ToLower,
		"upper": strings.ToUpper,
		"value": value,
		"fact":  fact,
		"ciLanguage": func() (string, error) {
			if l := value("language"); l != "" {
				return l, nil
			}
			switch l := strings.ToLower(fact("languages.primary")); l {
			case "go", "java", "python":
				return l, nil
			case "javascript", "typescript":
				return "node", nil
			case "":
				return "", errors.New("the service's language is unknown: set values.language")
			default:
				return "", fmt.Errorf("the golden pipeline has no %s workflow: set values.language", l)
			}
		},
	}
}

// lookupFact follows a dotted path through the facts, whatever their Go
// types (structs are seen as their JSON).
func lookupFact(facts map[string]any, p string) (any, bool) {
	var cur any = facts
	for _, part := range strings.Split(p, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			data, err := json.Marshal(cur)
			if err != nil || json.Unmarshal(data, &m) != nil || m == nil {
				return nil, false
			}
		}
		cur, ok = m[part]
		if !ok {
			return nil, false
		}
	}
	return cur, true
}

func (s addFileStep) apply(ctx context.Context, env Env, timeout time.Duration) (Report, error) {
	var rep Report
	exists := false
	if fi, err := env.WS.Lstat(s.path); err == nil {
		if fi.IsDir() {
			return rep, fmt.Errorf("add-file: %s is a directory", s.path)
		}
		exists = true
	} else if !errors.Is(err, fs.ErrNotExist) {
		return rep, fmt.Errorf("add-file: %w", err)
	}
	if exists && !s.overwrite {
		rep.Skipped = append(rep.Skipped, Skip{File: s.path, Reason: "already exists (overwrite: false)"})
		rep.Log = "add-file: " + s.path + " exists; left as is\n"
		return rep, nil
	}
	t, err := s.tmpl.Clone()
	if err != nil {
		return rep, err
	}
	t.Funcs(templateFuncs(s.values, env.Vars.Facts))
	var b bytes.Buffer
	values := s.values
	if values == nil {
		values = map[string]any{}
	}
	if err := t.Execute(&b, templateData{Vars: env.Vars, Values: values}); err != nil {
		return rep, fmt.Errorf("add-file %s: %w", s.path, err)
	}
	var old []byte
	if exists {
		if old, err = env.WS.ReadFile(s.path); err != nil {
			return rep, fmt.Errorf("add-file: %w", err)
		}
	}
	if exists && bytes.Equal(old, b.Bytes()) {
		rep.Log = "add-file: " + s.path + " already has this content\n"
		return rep, nil
	}
	if err := env.WS.WriteFile(s.path, b.Bytes(), 0o644); err != nil {
		return rep, fmt.Errorf("add-file: %w", err)
	}
	rep.Changed = []string{s.path}
	verb := "added"
	if exists {
		verb = "replaced"
	}
	rep.Log = fmt.Sprintf("add-file: %s %s (%d bytes)\n", verb, s.path, b.Len())
	return rep, nil
}
