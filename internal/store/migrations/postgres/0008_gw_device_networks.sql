-- The source networks a device may connect from (JSON array of CIDR
-- strings; empty: any).
ALTER TABLE devices ADD COLUMN networks jsonb NOT NULL DEFAULT '[]';
