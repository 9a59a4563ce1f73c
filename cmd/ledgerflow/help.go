package main

// rootHelpTemplate is `ledgerflow --help`. The core hard-codes the root command's usage line
// and examples (a generic stream processor's), and hides -c; the help template is the one
// place the CLI library lets a distribution say what it is. Commands and flags are still
// listed from the app, so new ones appear without editing this.
const rootHelpTemplate = `NAME:
   ledgerflow - MySQL change events from Kafka into Delta Lake tables, exactly once

USAGE:
   ledgerflow [global options] command [command options]

DESCRIPTION:
   LedgerFlow reads Debezium change events of a MySQL database from Kafka, unwraps them into
   typed rows checked against the table contracts (schemas/*.yaml) and keeps Delta Lake tables
   current: bronze (the change log) and silver (the current state by key).

     ledgerflow -c pipelines/transactions.yaml    run a pipeline
     ledgerflow lint ./pipelines/...              check pipeline configs
     ledgerflow test ./pipelines                  run the pipelines' unit tests and scenarios
     ledgerflow demo                              a simulated bank into ./lakehouse
     ledgerflow table show ./lakehouse/silver/customers --limit 10
     ledgerflow list                              the components of this binary

   Documentation: https://github.com/ledgerflow/ledgerflow/tree/main/docs
{{if .VisibleCommands}}
COMMANDS:{{template "visibleCommandCategoryTemplate" .}}{{end}}

GLOBAL OPTIONS:
   --config value, -c value` + "\t" + `run this pipeline config; the options of 'ledgerflow run' apply too{{template "visibleFlagTemplate" .}}
`
