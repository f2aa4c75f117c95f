module github.com/vdk-secrets/vdk-secrets/bindings/go

go 1.21
