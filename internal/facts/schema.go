package facts

import "reflect"

// Types maps each collected namespace to the Go type of its value. The
// checks compiler walks these types (by their json names) to reject a check
// that reads a fact no collector produces, such as facts.dockerfile.usr.
var Types = map[string]reflect.Type{
	NamespaceRepository: reflect.TypeFor[RepositoryFact](),
	NamespaceLanguages:  reflect.TypeFor[LanguagesFact](),
	NamespaceFiles:      reflect.TypeFor[FilesFact](),
	NamespaceDockerfile: reflect.TypeFor[DockerfileFact](),
	NamespaceGo:         reflect.TypeFor[GoFact](),
	NamespaceNode:       reflect.TypeFor[NodeFact](),
	NamespaceJava:       reflect.TypeFor[JavaFact](),
	NamespacePython:     reflect.TypeFor[PythonFact](),
	NamespaceCI:         reflect.TypeFor[CIFact](),
	NamespaceTests:      reflect.TypeFor[TestsFact](),
	NamespaceDescriptor: reflect.TypeFor[DescriptorFact](),
}

// NamespaceDescriptor is written by the scanner, which parses descriptors
// for the catalog, rather than by a collector here.
const NamespaceDescriptor = "descriptor"

// DescriptorFact is the "descriptor" namespace of a repository's facts.
type DescriptorFact struct {
	Present bool     `json:"present"`
	Valid   bool     `json:"valid"`
	Files   []string `json:"files"`
	Errors  []string `json:"errors"`
}
