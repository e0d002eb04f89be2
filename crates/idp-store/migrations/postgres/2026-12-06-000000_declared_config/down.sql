DROP TABLE declared_items;
