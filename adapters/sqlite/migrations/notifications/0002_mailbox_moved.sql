-- The development provider keeps its mailbox in a file of its own
-- (adapters/devprovider); the notifications database no longer holds it.
DROP TABLE IF EXISTS mailbox;
