"""The collection adapters: MQTT, Modbus TCP and OPC UA (:mod:`.mqtt`, :mod:`.modbus`,
:mod:`.opcua`, run by :mod:`.ingest` through the disk buffer of :mod:`.buffer`) and the HTTP batch
(:mod:`.http`). What they share is in :mod:`.config`; they do not import each other."""
