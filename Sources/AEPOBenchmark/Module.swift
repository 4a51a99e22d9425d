import AEPOCore
