"""Reading and writing address-book files: vCard 2.1/3.0/4.0 and CSV."""
