-- Each device's analysers (model.DeviceFactor, JSON array): the factor,
-- its unit, the measuring range (量程) and the detection limit (检出限)
-- the falsification screening needs (issue 17, signs 20 and 22).
ALTER TABLE devices ADD COLUMN factors jsonb NOT NULL DEFAULT '[]';
