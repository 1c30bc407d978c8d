print("tx placeholder")
