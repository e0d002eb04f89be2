DROP TABLE client_metadata_documents;
