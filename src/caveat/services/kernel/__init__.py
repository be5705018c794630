"""What every feature shares: the unit of work, the acting principal, permission checks,
reference lookup, policy generations and record helpers. Imports no feature."""
