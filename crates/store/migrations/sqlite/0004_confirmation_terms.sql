-- What a party confirmed: the row's assignment (its parties and their parts) at the time.
-- A confirmation counts only while the row still reads the same; NULL for confirmations
-- made before terms were kept.
ALTER TABLE matrix_confirmations ADD COLUMN terms TEXT;
