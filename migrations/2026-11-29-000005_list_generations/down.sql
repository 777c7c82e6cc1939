DROP TABLE list_generations;
