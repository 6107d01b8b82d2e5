DROP TABLE site_identity;
