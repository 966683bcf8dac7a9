-- SPDX-License-Identifier: Apache-2.0
-- The service-level variant each queue reports in (decision 0026); the default keeps the
-- figures of queues stored before this version as they were.
-- A column added with a constant default only changes the catalog: no table rewrite.
-- Keep in step with ../sqlite/0010_service_level_variant.sql (the column comment is there).

ALTER TABLE queues
  ADD COLUMN service_level_variant TEXT NOT NULL DEFAULT 'abandons_against'
    CHECK (service_level_variant IN ('ignore_abandons', 'abandons_against',
                                     'abandons_in_favour'));
