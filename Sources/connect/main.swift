import ConnectKit

print("ConnectKit: no pipeline yet")
