// Tests of AEPOCommands go in this folder; remove this file once one exists.
