-- The services' databases, one each, owned by the compose file's user. Each
-- service creates and migrates its own tables at start-up.
CREATE DATABASE customer;
CREATE DATABASE profiling;
CREATE DATABASE notifications;
