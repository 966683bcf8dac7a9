-- SPDX-License-Identifier: Apache-2.0
-- The service-level variant each queue reports in (decision 0026; reports/kpi.h
-- ServiceLevelVariant, decision 0016 "Formulas"):
--   'ignore_abandons'    answered within T / answered
--   'abandons_against'   answered within T / (answered + abandoned after T)  (DOMAIN.md)
--   'abandons_in_favour' (answered within T + abandoned within T) / (answered + abandoned)
-- Every queue stored before this version reported in 'abandons_against' (the fold's default),
-- so the default keeps its figures as they were.
-- Keep in step with ../postgres/0010_service_level_variant.sql.

ALTER TABLE queues ADD COLUMN service_level_variant TEXT NOT NULL DEFAULT 'abandons_against'
  CHECK (service_level_variant IN ('ignore_abandons', 'abandons_against', 'abandons_in_favour'));
