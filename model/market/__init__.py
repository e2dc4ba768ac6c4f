"""Knowing the market: genuine prices per product (catalogue), the product a listing sells (match), how many and
of which variant (quantity), new or used (condition), learned prices of similar listings (neighbours), and the
price check that compares them (reference)."""
