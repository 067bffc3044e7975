# package.json checks. Mirrors the paved check with the same id in
# ../standards/code.yaml; every message starts with that id.
package paved.node

# node-supported: engines.node allows only Node.js 20 or newer. Like paved's
# version_at_least, the first version in the range decides (">=18 <23" is 18).
deny contains msg if {
	engines := input.engines.node
	is_string(engines)
	engines != ""
	not major_at_least(engines, 20)
	msg := sprintf("node-supported: engines.node %q is below 20", [engines])
}

major_at_least(v, want) if {
	m := regex.find_n(`^[^0-9]*[0-9]+`, v, 1)
	to_number(regex.replace(m[0], `^[^0-9]*`, "")) >= want
}
