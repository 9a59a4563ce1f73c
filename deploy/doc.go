// Package deploy holds LedgerFlow's container deployment: the Docker Compose stack
// (docker-compose.yml: MySQL, Kafka in KRaft mode, Debezium Connect, a one-shot connector
// registration, Kafka UI, ledgerflow, Prometheus, Grafana), the Debezium connector config
// (debezium/connector.json), Prometheus' scrape config and Grafana's provisioning and
// dashboard. The repository's Dockerfile builds the ledgerflow image the stack runs.
//
// Docker does not run where LedgerFlow is built and tested, so the package has no code,
// only tests that check these files offline: the Compose file loads with the Compose
// specification's own loader and is consistent with the Dockerfile, the pipelines and the
// connector; every connector key is one that Debezium 3.x or Kafka Connect documents;
// Prometheus' config passes promtool; every dashboard query names a metric that ledgerflow
// exports; the registration script behaves against a stand-in Connect REST API.
package deploy
