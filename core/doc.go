// Package core holds the domain and the use cases of the customer-management
// system. Its subpackages import the standard library, uuid and ports only: no
// HTTP, Kafka, SQL or ORM library may appear below this directory (see
// core/deps_test.go).
package core
