package server

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"

	"github.com/goccy/go-yaml"
)

// The OpenAPI 3 document of /api/v1: openapi.yaml, maintained by hand next
// to routes.go and embedded in the binary, served as JSON at
// /api/v1/openapi.json and as a page at /api/docs rendered here from the
// same document (no CDN, no script). openapi_test.go fails when a route
// registered under /api/v1 is not in the document, or the document
// describes a route that does not exist.

//go:embed openapi.yaml
var openAPIYAML []byte

// routeRecorder registers routes on the mux and remembers the patterns of
// the API's (those under /api/v1/ with a method).
type routeRecorder struct {
	mux *http.ServeMux
	api *[]string
}

func (m *routeRecorder) HandleFunc(pattern string, h func(http.ResponseWriter, *http.Request)) {
	m.record(pattern)
	m.mux.HandleFunc(pattern, h)
}

func (m *routeRecorder) Handle(pattern string, h http.Handler) {
	m.record(pattern)
	m.mux.Handle(pattern, h)
}

func (m *routeRecorder) record(pattern string) {
	if method, path, ok := strings.Cut(pattern, " "); ok && method != "" && strings.HasPrefix(path, "/api/v1/") {
		*m.api = append(*m.api, pattern)
	}
}

// APIRoutes returns the patterns registered under /api/v1, sorted.
func (s *Server) APIRoutes() []string {
	r := append([]string(nil), s.apiRoutes...)
	sort.Strings(r)
	return r
}

// openAPI is the document, decoded once: as JSON, and typed for the page.
var openAPI = sync.OnceValues(func() (*openAPIDoc, error) {
	var raw any
	if err := yaml.Unmarshal(openAPIYAML, &raw); err != nil {
		return nil, fmt.Errorf("openapi.yaml: %w", err)
	}
	b, err := json.Marshal(raw)
	if err != nil {
		return nil, fmt.Errorf("openapi.yaml as JSON: %w", err)
	}
	doc := &openAPIDoc{JSON: b}
	if err := json.Unmarshal(b, doc); err != nil {
		return nil, fmt.Errorf("openapi.yaml: %w", err)
	}
	return doc, nil
})

func (s *Server) handleOpenAPI(w http.ResponseWriter, r *http.Request) {
	doc, err := openAPI()
	if err != nil {
		s.Logger.Error("openapi document", "err", err)
		http.Error(w, "the OpenAPI document is broken", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write(doc.JSON)
}

// openAPIDoc is the part of OpenAPI 3 the page shows.
type openAPIDoc struct {
	JSON    []byte `json:"-"`
	OpenAPI string `json:"openapi"`
	Info    struct {
		Title, Version, Description string
	} `json:"info"`
	Tags []struct {
		Name, Description string
	} `json:"tags"`
	Paths      map[string]map[string]*apiOperation `json:"paths"`
	Components struct {
		Schemas    map[string]*apiSchema    `json:"schemas"`
		Parameters map[string]*apiParameter `json:"parameters"`
	} `json:"components"`
}

type apiOperation struct {
	Summary     string                  `json:"summary"`
	Description string                  `json:"description"`
	Tags        []string                `json:"tags"`
	Parameters  []*apiParameter         `json:"parameters"`
	RequestBody *apiBody                `json:"requestBody"`
	Responses   map[string]*apiResponse `json:"responses"`
	Security    []map[string][]string   `json:"security"`
}

type apiParameter struct {
	Ref         string     `json:"$ref"`
	Name        string     `json:"name"`
	In          string     `json:"in"`
	Description string     `json:"description"`
	Required    bool       `json:"required"`
	Schema      *apiSchema `json:"schema"`
}

type apiBody struct {
	Description string `json:"description"`
	Required    bool   `json:"required"`
	Content     map[string]struct {
		Schema *apiSchema `json:"schema"`
	} `json:"content"`
}

type apiResponse struct {
	Description string `json:"description"`
	Content     map[string]struct {
		Schema *apiSchema `json:"schema"`
	} `json:"content"`
}

type apiSchema struct {
	Ref                  string                `json:"$ref"`
	Type                 string                `json:"type"`
	Format               string                `json:"format"`
	Description          string                `json:"description"`
	Enum                 []any                 `json:"enum"`
	Items                *apiSchema            `json:"items"`
	Properties           map[string]*apiSchema `json:"properties"`
	Required             []string              `json:"required"`
	AdditionalProperties any                   `json:"additionalProperties"`
}

// Text says a schema in a few words: "Waiver", "array of FeedItem",
// "string (date-time)", "object".
func (s *apiSchema) Text() string {
	switch {
	case s == nil:
		return ""
	case s.Ref != "":
		return refName(s.Ref)
	case s.Type == "array":
		return "array of " + s.Items.Text()
	case s.Type == "object" && s.AdditionalProperties != nil:
		if m, ok := s.AdditionalProperties.(map[string]any); ok {
			b, _ := json.Marshal(m)
			var inner apiSchema
			_ = json.Unmarshal(b, &inner)
			return "map of " + inner.Text()
		}
		return "object"
	case s.Format != "":
		return s.Type + " (" + s.Format + ")"
	case len(s.Enum) > 0:
		var vals []string
		for _, v := range s.Enum {
			vals = append(vals, fmt.Sprint(v))
		}
		return s.Type + ": " + strings.Join(vals, " | ")
	}
	return s.Type
}

// RefTo is the schema name a $ref (or an array of one) points at, for a link.
func (s *apiSchema) RefTo() string {
	switch {
	case s == nil:
		return ""
	case s.Ref != "":
		return refName(s.Ref)
	case s.Items != nil:
		return s.Items.RefTo()
	}
	return ""
}

func refName(ref string) string { return ref[strings.LastIndexByte(ref, '/')+1:] }

// apiDocsPage lists the operations by tag, then the schemas.
type apiDocsPage struct {
	pageData
	Doc     *openAPIDoc
	Groups  []apiGroup
	Schemas []apiNamedSchema
}

type apiGroup struct {
	Tag, Description string
	Ops              []apiOp
}

type apiOp struct {
	Method, Path, ID string
	*apiOperation
	Params []*apiParameter // $refs resolved
	Auth   bool
}

type apiNamedSchema struct {
	Name string
	*apiSchema
	Props []apiProp
}

type apiProp struct {
	Name     string
	Schema   *apiSchema
	Required bool
}

var methodOrder = map[string]int{"get": 0, "post": 1, "put": 2, "patch": 3, "delete": 4}

func (s *Server) handleAPIDocsPage(w http.ResponseWriter, r *http.Request) error {
	doc, err := openAPI()
	if err != nil {
		return err
	}
	page := apiDocsPage{pageData: pageData{Title: "API", Nav: "api"}, Doc: doc}
	byTag := map[string]*apiGroup{}
	for _, t := range doc.Tags {
		g := &apiGroup{Tag: t.Name, Description: t.Description}
		byTag[t.Name] = g
	}
	paths := make([]string, 0, len(doc.Paths))
	for p := range doc.Paths {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		methods := make([]string, 0, len(doc.Paths[p]))
		for m := range doc.Paths[p] {
			methods = append(methods, m)
		}
		sort.Slice(methods, func(i, j int) bool { return methodOrder[methods[i]] < methodOrder[methods[j]] })
		for _, m := range methods {
			op := doc.Paths[p][m]
			o := apiOp{Method: strings.ToUpper(m), Path: p, apiOperation: op, Auth: len(op.Security) > 0,
				ID: strings.ToLower(m) + strings.NewReplacer("/", "-", "{", "", "}", "").Replace(p)}
			for _, prm := range op.Parameters {
				if prm.Ref != "" {
					if c := doc.Components.Parameters[refName(prm.Ref)]; c != nil {
						prm = c
					}
				}
				o.Params = append(o.Params, prm)
			}
			tag := "other"
			if len(op.Tags) > 0 {
				tag = op.Tags[0]
			}
			g := byTag[tag]
			if g == nil {
				g = &apiGroup{Tag: tag}
				byTag[tag] = g
				doc.Tags = append(doc.Tags, struct{ Name, Description string }{tag, ""})
			}
			g.Ops = append(g.Ops, o)
		}
	}
	for _, t := range doc.Tags {
		if g := byTag[t.Name]; len(g.Ops) > 0 {
			page.Groups = append(page.Groups, *g)
		}
	}
	names := make([]string, 0, len(doc.Components.Schemas))
	for n := range doc.Components.Schemas {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		sc := doc.Components.Schemas[n]
		ns := apiNamedSchema{Name: n, apiSchema: sc}
		props := make([]string, 0, len(sc.Properties))
		for p := range sc.Properties {
			props = append(props, p)
		}
		sort.Strings(props)
		for _, p := range props {
			ns.Props = append(ns.Props, apiProp{Name: p, Schema: sc.Properties[p], Required: contains(sc.Required, p)})
		}
		page.Schemas = append(page.Schemas, ns)
	}
	return s.render(w, r, "apidocs", page)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
