package paved.catalog_test

import data.paved.catalog

component(name, spec) := {"apiVersion": "backstage.io/v1alpha1", "kind": "Component", "metadata": {"name": name}, "spec": spec}

good := {"type": "service", "lifecycle": "production", "owner": "group:default/team"}

test_present_and_valid if {
	msgs := catalog.deny with input as [
		{"path": "/f/a/catalog-info.yaml", "contents": component("a", good)},
		{"path": "/f/a/catalog-info.yaml", "contents": {"kind": "API", "metadata": {"name": "a-v1"}, "spec": good}},
	]
		with data.fleet as {"repositories": ["a", "b"], "unparsable": ["/f/c/catalog-info.yaml"]}
	msgs == {
		"descriptor-present b: no catalog-info.yaml",
		"descriptor-valid c: catalog-info.yaml is not valid YAML",
	}
}

test_invalid if {
	msgs := catalog.deny with input as [
		{"path": "/f/a/catalog-info.yaml", "contents": component("A b", good)},
		{"path": "/f/b/catalog-info.yaml", "contents": component("b", object.remove(good, ["owner"]))},
		{"path": "/f/c/catalog-info.yaml", "contents": component("a123456789-123456789-123456789-123456789-123456789-123456789-1234", good)},
		{"path": "/f/d/catalog-info.yaml", "contents": {"kind": "Location", "metadata": {"name": "d"}, "spec": {"targets": ["./x.yaml"]}}},
	]
		with data.fleet as {"repositories": ["a", "b", "c", "d"]}
	{split(m, ":")[0] | some m in msgs} == {"descriptor-valid a", "descriptor-valid b", "descriptor-valid c"}
}
