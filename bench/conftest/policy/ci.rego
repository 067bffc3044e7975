# GitHub Actions workflow checks, over one workflow file (.github/workflows/
# *.yml|*.yaml) parsed as YAML. Each rule mirrors the paved check with the
# same id in ../standards/ci.yaml; every message starts with that id.
#
# Conftest sees one file at a time, so these are per workflow file, where
# paved's are per repository (any workflow of the repository may call the
# golden pipeline). The generated fleet has one workflow per repository.
package paved.ci

golden_path := "/golden-ci/.github/workflows/"

golden_uses contains job.uses if {
	some job in input.jobs
	is_string(job.uses)
	contains(job.uses, golden_path)
}

# golden-ci: a job calls the golden pipeline's reusable workflow.
deny contains "golden-ci: no job uses the golden-ci reusable workflow" if {
	is_object(input.jobs)
	count(golden_uses) == 0
}

# golden-ci-current: the golden pipeline is called at v3 or newer (the ref
# is everything after the first '@').
deny contains msg if {
	old := {uses |
		some uses in golden_uses
		ref := substring(uses, indexof(uses, "@") + 1, -1)
		not major_at_least(ref, 3)
	}
	count(old) > 0
	msg := sprintf("golden-ci-current: golden-ci called below v3: %v", [concat(", ", old)])
}

# major_at_least compares the first number of a version ("v3", ">=20",
# "^18.2.0", "20.x") as paved's version_at_least does for a one-part bound.
major_at_least(v, want) if {
	m := regex.find_n(`^[^0-9]*[0-9]+`, v, 1)
	to_number(regex.replace(m[0], `^[^0-9]*`, "")) >= want
}
