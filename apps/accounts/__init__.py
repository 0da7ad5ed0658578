"""Who acts: staff users (e-mail login, roles, a second factor) and partner organisations."""
