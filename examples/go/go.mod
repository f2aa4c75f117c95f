module github.com/vdk-secrets/vdk-secrets/examples/go

go 1.21

require github.com/vdk-secrets/vdk-secrets/bindings/go v0.0.0

// The binding is used from this repository, not from a module proxy.
replace github.com/vdk-secrets/vdk-secrets/bindings/go => ../../bindings/go
