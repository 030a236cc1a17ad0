"""Operations: demo data, scale data generation (and later backup, restore, anonymise)."""
