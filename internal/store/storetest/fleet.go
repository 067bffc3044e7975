package storetest

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/paved-dev/paved"
	"github.com/paved-dev/paved/internal/store"
)

// Fleet is a synthetic fleet for the benchmarks: scan results shaped like a
// real organization's (1–3 entities, about ten fact namespaces and 0–2
// problems per repository) and the org tree that owns them.
type Fleet struct {
	Results []*store.ScanResult
	// Ancestors of every group: teams under directors under VPs.
	Ancestors map[string][]string
	VPs       []string
	Teams     []string
	Entities  int
}

var (
	fleetTypes      = []string{"service", "service", "service", "library", "library", "website", "worker"}
	fleetLifecycles = []string{"production", "production", "production", "experimental", "deprecated"}
	fleetLanguages  = []string{"Go", "Java", "TypeScript", "Python", "Kotlin", "Ruby", "C#", "Rust", "Scala", "PHP"}
	fleetWords      = strings.Fields(`pay ledger cart search auth notify ship price stock review profile media report billing fraud route quote tax promo feed account address alert analytics archive asset audit backup badge banner batch bid booking bridge broker budget cache calendar campaign catalog chat checkout claim clearing cluster coupon credit crm currency customer dashboard delivery device discount dispatch document donor email event export fare fleet forecast gateway geo gift grade graph health identity image import inbox insight invoice job kyc label lead license loan locale loyalty mail map market match meter metric mobile order partner payout permit pixel planner policy portal premium queue quota rank rate recommend refund reminder rental replay reserve resolver retail reward risk roster rule sales scheduler score seat segment sensor session settle signal sku slot survey sync tariff ticket token tracker trade transfer travel trip upload usage vault vendor video voucher wallet warehouse webhook widget wishlist workflow`)
	fleetNamespaces = []string{"dockerfile", "go", "ci", "codeowners", "readme", "tests", "deps", "k8s", "license", "sbom"}
)

// NewFleet generates repositories repositories from seed, with 5 VPs, 25
// directors and 300 teams.
func NewFleet(repositories int, seed uint64) *Fleet {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	f := &Fleet{Ancestors: map[string][]string{}}
	for v := range 5 {
		vp := fmt.Sprintf("group:default/vp-%d", v)
		f.VPs = append(f.VPs, vp)
		for d := range 5 {
			dir := fmt.Sprintf("group:default/dir-%d-%d", v, d)
			f.Ancestors[dir] = []string{vp}
			for t := range 12 {
				team := fmt.Sprintf("group:default/team-%d-%d-%d", v, d, t)
				f.Ancestors[team] = []string{dir, vp}
				f.Teams = append(f.Teams, team)
			}
		}
	}
	pick := func(list []string) string { return list[rng.IntN(len(list))] }
	at := time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)

	for i := range repositories {
		name := fmt.Sprintf("%s-%s-%05d", pick(fleetWords), pick(fleetWords), i)
		owner := pick(f.Teams)
		lang := pick(fleetLanguages)
		r := &store.ScanResult{Repository: paved.Repository{
			Name: name, Path: "/srv/git/" + name + ".git", Source: "local",
			Head: fmt.Sprintf("%040x", rng.Uint64()), DefaultBranch: "main", ScannedAt: at, Status: paved.RepositoryOK,
		}}
		for j := range 1 + rng.IntN(3) {
			kind, ref := paved.KindComponent, "component:default/"+name
			if j == 1 {
				kind, ref = paved.KindAPI, "api:default/"+name+"-api"
			} else if j == 2 {
				kind, ref = paved.KindResource, "resource:default/"+name+"-db"
			}
			e := &paved.Entity{
				Ref: ref, Kind: kind, Namespace: "default", Name: paved.RefName(ref),
				Title:       fmt.Sprintf("%s %s", pick(fleetWords), pick(fleetWords)),
				Description: fmt.Sprintf("Handles %s and %s for the %s platform.", pick(fleetWords), pick(fleetWords), pick(fleetWords)),
				Type:        pick(fleetTypes), Lifecycle: pick(fleetLifecycles), Owner: owner,
				System: "system:default/" + pick(fleetWords), Tier: rng.IntN(5) - 1, Language: lang,
				Tags:        []string{lang, pick(fleetWords)},
				Labels:      map[string]string{"cost-center": fmt.Sprint(rng.IntN(90))},
				Annotations: map[string]string{"paved.dev/tier": "2", "github.com/project-slug": "acme/" + name},
				Spec:        map[string]any{"type": "service", "lifecycle": "production", "owner": owner},
				Repository:  name,
				Location:    paved.Location{File: "catalog-info.yaml", Line: 1 + 20*j, Column: 1},
			}
			if kind == paved.KindAPI {
				e.Type = "openapi"
			}
			r.Entities = append(r.Entities, e)
			f.Entities++
		}
		r.Facts = paved.Facts{}
		for _, ns := range fleetNamespaces {
			r.Facts[ns] = paved.Fact{Namespace: ns, Source: ns + " collector", CollectedAt: at,
				Value: map[string]any{"present": true, "count": rng.IntN(50), "name": pick(fleetWords)}}
		}
		for range rng.IntN(3) {
			r.Problems = append(r.Problems, paved.Problem{Repository: name, Code: paved.ProblemDescriptor,
				Message: "spec.owner is missing", Location: paved.Location{File: "catalog-info.yaml", Line: 3}})
		}
		f.Results = append(f.Results, r)
	}
	// A scan lists a source's repositories in name order, as a directory
	// listing or a forge's API returns them, and saves them in that order.
	slices.SortFunc(f.Results, func(a, b *store.ScanResult) int { return strings.Compare(a.Repository.Name, b.Repository.Name) })
	return f
}

// Resolution returns a catalog resolution for the fleet: ownership
// relations both ways and the org tree.
func (f *Fleet) Resolution() *store.CatalogResolution {
	r := &store.CatalogResolution{Relations: map[string][]paved.Relation{}, Ancestors: f.Ancestors}
	for _, res := range f.Results {
		for _, e := range res.Entities {
			r.Relations[e.Ref] = append(r.Relations[e.Ref], paved.Relation{Type: paved.RelOwnedBy, Target: e.Owner})
			r.Relations[e.Owner] = append(r.Relations[e.Owner], paved.Relation{Type: paved.RelOwnerOf, Target: e.Ref})
			if e.Kind == paved.KindAPI {
				c := "component:default/" + res.Repository.Name
				r.Relations[c] = append(r.Relations[c], paved.Relation{Type: paved.RelProvidesAPI, Target: e.Ref})
				r.Relations[e.Ref] = append(r.Relations[e.Ref], paved.Relation{Type: paved.RelAPIProvidedBy, Target: c})
			}
		}
	}
	return r
}
