# catalog-info.yaml checks. Run with --combine over the root catalog-info.yaml
# of every repository: input is then a list of {path, contents}, one entry per
# YAML document. Presence needs the list of repositories, which comes as data
# (data.fleet.repositories), just as paved knows the repositories it scanned.
# Each rule mirrors the paved check with the same id in
# ../standards/ownership.yaml; every message is "<id> <repository>: ...", at
# most one per repository and check.
#
# One file Conftest cannot parse stops a whole run, so run.sh sets those
# files aside first and passes them as data.fleet.unparsable: the repository
# has a descriptor (present) that is not valid.
package paved.catalog

# The repository of a descriptor: the directory holding it.
repository(path) := parts[count(parts) - 2] if parts := split(path, "/")

unparsable := {repository(p) | some p in data.fleet.unparsable}

described := {repository(f.path) | some f in input} | unparsable

# descriptor-present: the repository has a catalog-info.yaml at its root.
deny contains msg if {
	some repo in data.fleet.repositories
	not repo in described
	msg := sprintf("descriptor-present %s: no catalog-info.yaml", [repo])
}

# descriptor-valid: the file parses, and every document of it names itself
# validly and has the spec fields its kind requires (for a Component: type,
# lifecycle and owner).
deny contains msg if {
	some repo in unparsable
	msg := sprintf("descriptor-valid %s: catalog-info.yaml is not valid YAML", [repo])
}

deny contains msg if {
	some repo in invalid
	not repo in unparsable
	msg := sprintf("descriptor-valid %s: %s", [repo, concat("; ", {pair[1] | some pair in problems; pair[0] == repo})])
}

# [repository, problem] for every problem of every document.
problems contains [repository(f.path), p] if {
	some f in input
	is_object(f.contents)
	some p in (name_problems(f.contents) | spec_problems(f.contents))
}

invalid := {repo | some [repo, _] in problems}

name_problems(doc) := {"metadata.name is missing"} if not doc.metadata.name

else := {sprintf("metadata.name %v is not a valid name", [doc.metadata.name])} if not valid_name(doc.metadata.name)

else := set()

# 1–63 characters [a-zA-Z0-9] with '-', '_' or '.' between them.
valid_name(name) if {
	is_string(name)
	regex.match(`^[a-zA-Z0-9]([-_.a-zA-Z0-9]{0,61}[a-zA-Z0-9])?$`, name)
}

# The spec fields paved requires of each kind it validates.
required := {
	"Component": ["type", "lifecycle", "owner"],
	"API": ["type", "lifecycle", "owner"],
	"Resource": ["type", "owner"],
	"System": ["owner"],
	"Domain": ["owner"],
	"Group": ["type"],
}

spec_problems(doc) := {sprintf("%s needs spec.%s", [doc.kind, field]) |
	some field in required[doc.kind]
	not non_empty(object.get(doc, ["spec", field], ""))
}

non_empty(v) if {
	is_string(v)
	v != ""
}
