DELETE FROM counters WHERE name = 'import_batches';
