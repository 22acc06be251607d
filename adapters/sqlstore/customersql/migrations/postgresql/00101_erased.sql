-- +goose Up
-- A customer may be erased at their request: the status of the tombstone.
ALTER TABLE customers DROP CONSTRAINT IF EXISTS customers_status_check;
ALTER TABLE customers ADD CONSTRAINT customers_status_check CHECK (status IN ('onboarded', 'active', 'inactive', 'erased'));
