# Dockerfile checks, over Conftest's dockerfile parser: input is the list of
# instructions, each {Cmd, Flags, Value, Stage, ...} with Stage the index of
# the FROM it belongs to. Each rule mirrors the paved check with the same id
# in ../standards/containers.yaml; every message starts with that id.
#
# Like paved, a stage built FROM an earlier stage (FROM build) is not an
# image, nor is FROM scratch; the final stage inherits USER and HEALTHCHECK
# along its FROM <stage> chain. Unlike paved, ARGs are not substituted: a
# reference with a $ counts as unresolved (not pinned, no digest).
package paved.dockerfile

from_instructions := [f | is_array(input); some f in input; f.Cmd == "from"]

# stage index → lower-case AS name.
stage_name[f.Stage] := lower(f.Value[2]) if {
	some f in from_instructions
	count(f.Value) == 3
	lower(f.Value[1]) == "as"
}

# stage index → the earlier stage it is built FROM.
parent[f.Stage] := p if {
	some f in from_instructions
	some p, name in stage_name
	p < f.Stage
	lower(f.Value[0]) == name
}

# stage index → external image reference (not a stage, not scratch).
external[f.Stage] := f.Value[0] if {
	some f in from_instructions
	not parent[f.Stage]
	lower(f.Value[0]) != "scratch"
}

unresolved(ref) if contains(ref, "$")

digest(ref) := substring(ref, indexof(ref, "@") + 1, -1) if contains(ref, "@")

else := ""

# The tag follows the last ':' after the last '/', so a registry port is
# not taken for a tag.
tag(ref) := t if {
	parts := split(split(ref, "@")[0], "/")
	last := parts[count(parts) - 1]
	contains(last, ":")
	t := substring(last, indexof(last, ":") + 1, -1)
} else := ""

# Each rule says at most one thing per file, so failures count files.

# dockerfile-pinned: every base image names a tag other than latest, or a digest.
deny contains msg if {
	refs := {ref | some ref in external; not_pinned(ref)}
	count(refs) > 0
	msg := sprintf("dockerfile-pinned: base images without a version tag or digest: %v", [concat(", ", refs)])
}

not_pinned(ref) if unresolved(ref)

not_pinned(ref) if {
	not unresolved(ref)
	digest(ref) == ""
	tag(ref) in {"", "latest"}
}

# dockerfile-no-latest: no base image is :latest or untagged (a digest alone pins).
deny contains msg if {
	refs := {ref | some ref in external; not unresolved(ref); floating(ref)}
	count(refs) > 0
	msg := sprintf("dockerfile-no-latest: base images on latest: %v", [concat(", ", refs)])
}

floating(ref) if tag(ref) == "latest"

floating(ref) if {
	tag(ref) == ""
	digest(ref) == ""
}

# dockerfile-digest: every base image is pinned by digest.
deny contains msg if {
	refs := {ref | some ref in external; digest(ref) == ""}
	count(refs) > 0
	msg := sprintf("dockerfile-digest: base images not pinned by digest: %v", [concat(", ", refs)])
}

# The final stage and the stages it derives from (undefined when the input
# is not a Dockerfile, so the rules below say nothing about other files).
final_stage := max(stages)

stages := {f.Stage | some f in from_instructions}

edges[s] := {p | p := parent[s]} if some s in stages

chain := graph.reachable(edges, {final_stage})

# The nearest stage of the chain that sets an instruction wins (parents come
# earlier, so the highest index is the nearest), and in it the last one.
last_in_chain(cmd) := input[i] if {
	s := max({x.Stage | some x in input; x.Cmd == cmd; x.Stage in chain})
	i := max({j | some j, x in input; x.Cmd == cmd; x.Stage == s})
}

# dockerfile-nonroot: the final stage runs as a user other than root.
deny contains "dockerfile-nonroot: the final stage sets no USER, so it runs as root" if {
	final_stage
	not last_in_chain("user")
}

deny contains msg if {
	user := last_in_chain("user").Value[0] # USER name[:group], as paved reads it
	user in {"root", "0"}
	msg := sprintf("dockerfile-nonroot: the final stage runs as %q", [user])
}

# dockerfile-healthcheck: the final stage declares a HEALTHCHECK (not NONE).
deny contains "dockerfile-healthcheck: the final stage has no HEALTHCHECK" if {
	final_stage
	not last_in_chain("healthcheck")
}

deny contains "dockerfile-healthcheck: the final stage disables its HEALTHCHECK" if {
	upper(last_in_chain("healthcheck").Value[0]) == "NONE"
}
