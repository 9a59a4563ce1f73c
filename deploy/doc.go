// Package deploy holds LedgerFlow's container deployment: the Docker Compose stack
// (docker-compose.yml: MySQL, Kafka in KRaft mode, Debezium Connect, a one-shot connector
// registration, Kafka UI, one ledgerflow service per pipeline, Prometheus, Grafana), the
// Debezium connector config (debezium/connector.json), Prometheus' scrape config and
// Grafana's provisioning and dashboard. The repository's Dockerfile builds the ledgerflow
// image the stack runs.
//
// Docker does not run where LedgerFlow is built and tested, so the package has no code,
// only tests that check these files without it: the Compose file loads with the Compose
// specification's own loader and is consistent with the Dockerfile, the pipelines and the
// connector; every container that runs ledgerflow is rebuilt in a temporary directory and
// its command linted and started for real (the binary built with the Dockerfile's go build
// line, Kafka in process with kfake); every connector key is one that Debezium 3.x or Kafka
// Connect documents; Prometheus' config passes promtool; every dashboard query names a
// metric, and labels, that ledgerflow exports; the registration script behaves against a
// stand-in Connect REST API.
package deploy
