// Package store is Roost's durable state: one Badger database under the
// Roost home, behind typed methods. No other package imports Badger.
//
// # Key layout
//
// Every key is a kind prefix and one or two names joined by "/". Names
// (integrations, configurations, organizations, crates) never contain "/".
// Values are JSON unless noted.
//
//	meta/schema                       schema version, decimal ("1")
//	integration/<name>                Integration: the installed module, its cached manifest
//	config/<integration>/<config>     Configuration: values, sealed secrets, last check
//	kv/<integration>/<key>            raw bytes a connector stored through its KV host functions
//	catalog/<sha256>                  CatalogEntry: the manifest of a module seen in a catalogue
//	catfile/<path>                    FileStamp: size and mtime of a catalogue file, and its sha256
//	org/<id>                          Organization (the user's customers)
//	mapping/<integration>/<org id>    Mapping: the tool account an organization is linked to
//	options/<integration>/meta        Options: when the tool's accounts were last pulled, how many
//	options/<integration>/chunkNNNNN  []abi.Account, 2,000 per key (large values live in the value log)
//	draft/<integration>               Draft: unsaved mapping changes (review-held suggestions stay on save) and what suggest left ambiguous
//	alias/<integration>               Aliases: per organization, the account the user chose over a suggestion and those refused
//	crate/<name>                      UnpackedCrate: its definition, the integrations it needs, orgs and variables
//	run/<id:020d>                     RunRecord: a workflow run with every step's input, output, error and timing
//	seq/run                           the last run id, decimal
//	queue/<id:020d>                   Job: a triggered run not yet done (webhook or cron), kept across restarts
//	seq/queue                         the last job id, decimal
//	request/<id:020d>                 Request: an integration request and its votes
//	seq/request                       the last request id, decimal
//
// Uninstalling an integration deletes integration/, config/ and kv/ keys
// of that integration in one transaction; mapping/ keys stay unless purged,
// so that a reinstall finds them.
//
// Removing or renaming an organization moves or deletes its mappings and
// draft entries in the same transaction.
//
// Every change that touches more than one key runs in one Badger
// transaction, so a crash leaves it done completely or not at all. The
// store refuses to open a database whose schema version is newer than
// SchemaVersion, and refuses a home another process holds open.
package store
