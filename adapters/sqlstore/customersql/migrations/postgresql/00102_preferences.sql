-- +goose Up
-- The messages a customer accepts, with the consent record of each: JSON
-- (customersql's preferencesRow). Empty for a customer stored before:
-- every message, never asked.
ALTER TABLE customers ADD COLUMN preferences TEXT NOT NULL DEFAULT '';
