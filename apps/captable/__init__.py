"""Who owns what: issuers, classes, securities and the movements that change them."""
