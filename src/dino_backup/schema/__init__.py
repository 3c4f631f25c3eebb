"""The DINO app's database schema, as its Prisma migrations create it."""
