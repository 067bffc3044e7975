package fleet

import (
	"fmt"
	"strconv"
	"strings"
)

// descriptor writes catalog-info.yaml: a Component, sometimes an API it
// provides and, in one repository per director's area, the System. Planned
// faults are written here too, each the way people actually get them wrong.
func (b *builder) descriptor() {
	rp := b.rp
	b.info.Descriptor = true
	b.info.EntityName = rp.entityName
	b.info.Fault = rp.fault
	b.info.Tier = strconv.Itoa(b.r.weighted(4, 20, 40, 36))
	b.info.Lifecycle = []string{"production", "experimental", "deprecated"}[b.r.weighted(70, 18, 12)]
	b.info.System = rp.system

	owner := []string{"group:default/" + rp.team.name, rp.team.name, "group:" + rp.team.name}[b.r.weighted(40, 40, 20)]
	if rp.fault == FaultUnknownOwner {
		owner = "group:default/" + rp.faultOwner
	}
	tags := []string{rp.lang}
	if rp.kind == kindService {
		tags = append(tags, []string{"http", "rest", "worker", "grpc"}[b.r.IntN(4)])
	}
	if b.r.chance(0.4) {
		tags = append(tags, strings.SplitN(rp.name, "-", 2)[0])
	}
	api := ""
	if rp.kind == kindService && b.r.chance(0.3) {
		api = rp.name + "-v1"
	}
	description := strings.TrimSuffix(b.summaryMD, ".")

	var sb strings.Builder
	if b.r.chance(0.3) {
		sb.WriteString("# Backstage descriptor: https://backstage.io/docs/features/software-catalog/descriptor-format\n")
	}
	sb.WriteString("apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n")
	fmt.Fprintf(&sb, "  name: %s\n", yamlScalar(rp.entityName))
	switch {
	case rp.fault == FaultYAMLSyntax && rp.faultSyntax == 1:
		fmt.Fprintf(&sb, "  description: \"%s\n", description) // the closing quote is missing
	default:
		fmt.Fprintf(&sb, "  description: %s\n", yamlScalar(description))
	}
	sb.WriteString("  annotations:\n")
	fmt.Fprintf(&sb, "    paved.dev/tier: \"%s\"\n", b.info.Tier)
	if b.r.chance(0.5) {
		fmt.Fprintf(&sb, "    github.com/project-slug: %s/%s\n", company, rp.name)
	}
	if b.hasDocs {
		sb.WriteString("    backstage.io/techdocs-ref: dir:.\n")
	}
	if b.hasDocs {
		// Written without a random draw, so the rest of the fleet stays as
		// it was for a given seed.
		fmt.Fprintf(&sb, "  links:\n    - url: https://docs.%s.example/%s\n      title: Documentation\n      type: docs\n", company, rp.name)
		if rp.kind == kindService {
			fmt.Fprintf(&sb, "    - url: https://runbooks.%s.example/%s\n      title: Runbook\n      type: runbook\n", company, rp.name)
		}
	}
	switch {
	case rp.fault == FaultYAMLSyntax && rp.faultSyntax == 0:
		fmt.Fprintf(&sb, "  tags: [%s\n", strings.Join(tags, ", ")) // unclosed
	case b.r.chance(0.5):
		fmt.Fprintf(&sb, "  tags: [%s]\n", strings.Join(tags, ", "))
	default:
		sb.WriteString("  tags:\n")
		for _, t := range tags {
			fmt.Fprintf(&sb, "    - %s\n", t)
		}
	}
	sb.WriteString("spec:\n")
	fmt.Fprintf(&sb, "  type: %s\n", rp.kind)
	fmt.Fprintf(&sb, "  lifecycle: %s\n", b.info.Lifecycle)
	switch {
	case rp.fault == FaultMissingOwner:
	case rp.fault == FaultYAMLSyntax && rp.faultSyntax == 2:
		fmt.Fprintf(&sb, "\towner: %s\n", owner) // a tab where spaces belong
	default:
		fmt.Fprintf(&sb, "  owner: %s\n", owner)
	}
	if rp.system != "" {
		fmt.Fprintf(&sb, "  system: %s\n", rp.system)
	}
	if api != "" {
		fmt.Fprintf(&sb, "  providesApis:\n    - %s\n", api)
	}

	if api != "" {
		sb.WriteString("---\napiVersion: backstage.io/v1alpha1\nkind: API\nmetadata:\n")
		fmt.Fprintf(&sb, "  name: %s\n  description: HTTP API of %s\nspec:\n  type: openapi\n  lifecycle: %s\n  owner: %s\n", api, rp.name, b.info.Lifecycle, owner)
		if rp.system != "" {
			fmt.Fprintf(&sb, "  system: %s\n", rp.system)
		}
		spec := openAPI(rp.name)
		if b.r.chance(0.5) {
			sb.WriteString("  definition:\n    $text: ./openapi.yaml\n")
			b.add("openapi.yaml", "catalog", spec)
		} else {
			sb.WriteString("  definition: |\n")
			for _, line := range strings.SplitAfter(strings.TrimSuffix(spec, "\n"), "\n") {
				sb.WriteString("    " + line)
			}
			sb.WriteString("\n")
		}
	}
	if rp.definesSystem != "" {
		d := rp.team.parent
		fmt.Fprintf(&sb, "---\napiVersion: backstage.io/v1alpha1\nkind: System\nmetadata:\n  name: %s\n  description: %s\nspec:\n  owner: group:default/%s\n", rp.definesSystem, yamlScalar("Everything "+d.display+" runs"), d.name)
	}
	b.add("catalog-info.yaml", "catalog", sb.String())
}

func openAPI(name string) string {
	return fmt.Sprintf(`openapi: 3.0.3
info:
  title: %s
  version: 1.0.0
paths:
  /healthz:
    get:
      summary: Liveness probe
      responses:
        "200":
          description: OK
`, name)
}

// yamlScalar quotes s when YAML would otherwise read it as something else.
func yamlScalar(s string) string {
	if s == "" || strings.ContainsAny(s, ":#{}[],&*!|>'\"%@`") || strings.TrimSpace(s) != s {
		return strconv.Quote(s)
	}
	return s
}
